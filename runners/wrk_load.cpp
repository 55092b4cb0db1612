#include "wrk_load.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "files.h"
#include "http_probe.h"
#include "process.h"

namespace hap {
namespace {

// wrk's format_time_us / format_time_s units: 10.00us, 5.00ms, 5.00s, 1.00m, 1.00h.
double to_seconds(const std::string& text) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str()) return 0;
    const std::string unit(end);
    if (unit == "us") return v / 1e6;
    if (unit == "ms") return v / 1e3;
    if (unit == "s" || unit.empty()) return v;
    if (unit == "m") return v * 60;
    if (unit == "h") return v * 3600;
    return 0;
}

uint64_t to_u64(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

std::string after(const std::string& line, const std::string& key) { return trim(line.substr(line.find(key) + key.size())); }

}  // namespace

WrkSummary parse_wrk_output(const std::string& out) {
    WrkSummary s;
    for (const auto& raw : split(out, '\n')) {
        const std::string line = trim(raw);
        if (line.rfind("Requests/sec:", 0) == 0) {
            char* end = nullptr;
            const std::string v = after(line, "Requests/sec:");
            double rps = std::strtod(v.c_str(), &end);
            if (end != v.c_str()) {
                s.has_rate = true;
                s.requests_per_sec = rps;
            }
        } else if (line.find(" requests in ") != std::string::npos) {
            // "48789 requests in 5.00s, 9.68MB read"
            std::istringstream in(line);
            std::string n, word, in_word, t;
            in >> n >> word >> in_word >> t;
            if (word == "requests" && in_word == "in") {
                s.requests = to_u64(n);
                if (!t.empty() && t.back() == ',') t.pop_back();
                s.seconds = to_seconds(t);
            }
        } else if (line.rfind("Socket errors:", 0) == 0) {
            // "Socket errors: connect 0, read 12, write 0, timeout 3"
            for (const auto& part : split(after(line, "Socket errors:"), ',')) {
                std::istringstream in(trim(part));
                std::string key, val;
                in >> key >> val;
                if (key == "connect") s.connect_errors = to_u64(val);
                if (key == "read") s.read_errors = to_u64(val);
                if (key == "write") s.write_errors = to_u64(val);
                if (key == "timeout") s.timeouts = to_u64(val);
            }
        } else if (line.rfind("Non-2xx or 3xx responses:", 0) == 0) {
            s.non_2xx_3xx = to_u64(after(line, "Non-2xx or 3xx responses:"));
        } else if (line.rfind("unable to ", 0) == 0 || line.rfind("wrk: ", 0) == 0 || line.rfind("Usage: wrk", 0) == 0) {
            if (s.failure.empty()) s.failure = line;
        }
    }
    return s;
}

std::string wrk_failure(const WrkSummary& s) {
    if (!s.has_rate) return s.failure.empty() ? "no \"Requests/sec\" in its output" : s.failure;
    const std::string counts = std::to_string(s.requests) + " responses, " + std::to_string(s.non_2xx_3xx) +
                               " not 2xx/3xx, " + std::to_string(s.socket_errors()) + " socket errors";
    if (s.good_requests() == 0) return "no request succeeded (" + counts + ")";
    if (s.socket_errors() * 10 > s.good_requests())
        return "socket errors exceed a tenth of the successful responses (" + counts + ")";
    return "";
}

Argv wrk_argv(const Endpoint& ep, const std::string& path, std::chrono::seconds duration) {
    const std::string url = "http://" + ep.address + ":" + std::to_string(ep.port) + path;
    return in_netns(ep.netns, {"wrk", "-t" + std::to_string(kWrkThreads), "-c" + std::to_string(kWrkConnections),
                               "-d" + std::to_string(duration.count()) + "s",
                               "--timeout", std::to_string(kWrkTimeoutSeconds) + "s", url});
}

LoadResult run_wrk(const Endpoint& ep, const std::string& path, std::chrono::seconds duration) {
    const std::string where = ep.address + ":" + std::to_string(ep.port);
    RunOptions o;
    o.timeout = duration + std::chrono::seconds(60);
    auto r = run_command(wrk_argv(ep, path, duration), o);
    if (!r) throw UserError("cannot start wrk: " + r.error().describe(), "install wrk (Debian package wrk)");
    const WrkSummary s = parse_wrk_output(r->out + "\n" + r->err);
    std::string why = wrk_failure(s);
    if (why.empty() && !r->succeeded()) why = r->summary();
    if (!why.empty()) throw UserError("wrk failed against " + where + ": " + why);
    LoadResult res;
    res.unit = "requests/s";
    res.seconds = s.seconds;
    res.requests = s.good_requests();
    // wrk's own rate counts every response; error responses are not served requests.
    res.throughput = s.non_2xx_3xx == 0 || s.seconds <= 0 ? s.requests_per_sec
                                                          : static_cast<double>(s.good_requests()) / s.seconds;
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.2f", s.seconds);
    res.detail = "wrk -t" + std::to_string(kWrkThreads) + " -c" + std::to_string(kWrkConnections) + " --timeout " +
                 std::to_string(kWrkTimeoutSeconds) + "s: " +
                 std::to_string(s.requests) + " requests in " + secs + " s";
    if (s.non_2xx_3xx) res.detail += ", " + std::to_string(s.non_2xx_3xx) + " not 2xx/3xx";
    if (s.socket_errors())
        res.detail += ", socket errors: connect " + std::to_string(s.connect_errors) + " read " +
                      std::to_string(s.read_errors) + " write " + std::to_string(s.write_errors) + " timeout " +
                      std::to_string(s.timeouts);
    return res;
}

}  // namespace hap
