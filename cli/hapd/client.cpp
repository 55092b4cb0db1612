#include "client.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>

#include "interrupt.h"
#include "line_io.h"
#include "protocol.h"

namespace hap::hapd {
namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string absolute(const std::string& p) {
    if (p.empty()) return p;
    return std::filesystem::absolute(p).lexically_normal().string();
}

}  // namespace

std::string socket_path() {
    const char* env = std::getenv("HAP_SOCKET");
    return env && *env ? env : kDefaultSocket;
}

std::optional<MeasureResult> measure_via_hapd(const MeasureRequest& req, bool wait,
                                              const std::function<void(const std::string&)>& progress) {
    const std::string path = socket_path();
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return std::nullopt;
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)};
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (s.fd < 0 || path.size() >= sizeof addr.sun_path) return std::nullopt;
    std::strcpy(addr.sun_path, path.c_str());
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno == EACCES || errno == EPERM)
            throw UserError(fmt::format("cannot reach hapd at {}: {}", path, std::strerror(errno)),
                            "join group hap, or measure in-process as root with --no-daemon");
        // A socket file without a listener: hapd was killed. Nothing owns
        // tracefs, so the measurement runs here.
        progress(fmt::format("hapd does not answer on {} ({}); measuring in-process", path, std::strerror(errno)));
        return std::nullopt;
    }
    MeasureRequest r = req;
    r.db_path = absolute(r.db_path);  // the daemon's working directory is not ours
    r.record_dir = absolute(r.record_dir);
    if (!write_line(s.fd, measure_request_line(r, wait)))
        throw UserError("hapd closed the connection before the request was sent", "see `journalctl -u hapd`");

    LineReader reader(s.fd, 16 * 1024 * 1024);
    bool cancel_sent = false;
    for (;;) {
        std::string line;
        auto res = reader.read_line(line, -1, [] { return interrupted(); });
        if (res == LineReader::kTimeout && interrupted()) {
            if (!cancel_sent) {
                write_line(s.fd, nlohmann::json{{"v", kProtocolVersion}, {"type", "cancel"}, {"signal", interrupt_signal()}}.dump());
                cancel_sent = true;
            }
            // keep reading: hapd answers with the interrupted run's error
            res = reader.read_line(line, -1);
        }
        if (res != LineReader::kLine)
            throw UserError("hapd ended the connection without a result", "see `journalctl -u hapd` (or hapd's log)");
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string())
            throw UserError("hapd sent a line hapctl cannot read", "hapd and hapctl versions differ?");
        const std::string type = j["type"];
        if (type == "progress") progress(j.value("line", ""));
        else if (type == "queued") {
            const auto ahead = j.value("ahead", 0);
            if (ahead > 0) progress(fmt::format("hapd: waiting, {} session(s) ahead", ahead));
        } else if (type == "result") {
            auto result = result_from_json(j["result"]);
            if (!result) throw UserError(result.error().describe());
            return *result;
        } else if (type == "error" || type == "busy") {
            throw UserError(j.value("message", "hapd refused the request"), j.value("hint", ""), j.value("exit_code", 1));
        }
        // started, and types a newer hapd adds: nothing to print
    }
}

}  // namespace hap::hapd
