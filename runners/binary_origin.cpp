#include "binary_origin.h"

#include <sys/stat.h>

#include <climits>
#include <cstdlib>

#include "files.h"
#include "process.h"

namespace hap {

std::string installed_origin(const std::string& tsv_text, const std::string& path) {
    for (const auto& line : split(tsv_text, '\n')) {
        auto cols = split(line, '\t');
        if (cols.size() >= 4 && cols[0] == path) return cols[3];
    }
    return "";
}

nlohmann::json binary_origin(const std::string& path, const std::string& installed_tsv) {
    nlohmann::json j = {{"path", path}};
    char buf[PATH_MAX];
    const std::string real = ::realpath(path.c_str(), buf) ? std::string(buf) : path;
    if (real != path) j["resolved"] = real;
    RunOptions o;
    o.timeout = std::chrono::seconds(30);
    auto sum = run_command({"sha256sum", "--", real}, o);
    struct stat st {};
    if (sum && sum->succeeded() && ::stat(real.c_str(), &st) == 0) {
        j["sha256"] = trim(sum->out).substr(0, 64);
        j["size"] = static_cast<int64_t>(st.st_size);
    } else {
        j["error"] = "cannot read " + real;
    }
    if (auto tsv = read_file(installed_tsv); tsv)
        for (const auto& p : {path, real})
            if (auto origin = installed_origin(*tsv, p); !origin.empty()) {
                j["origin"] = origin;
                return j;
            }
    if (auto pkg = run_command({"dpkg-query", "--search", "--", real}, o); pkg && pkg->succeeded()) {
        // "runc: /usr/sbin/runc" (a diversion line may come first)
        for (const auto& line : split(trim(pkg->out), '\n')) {
            auto colon = line.find(": ");
            if (colon == std::string::npos || line.rfind("diversion", 0) == 0) continue;
            const std::string name = line.substr(0, colon);
            auto ver = run_command({"dpkg-query", "--show", "--showformat=${Version}", name}, o);
            j["origin"] = "debian package " + name + (ver && ver->succeeded() ? " " + trim(ver->out) : "");
            return j;
        }
    }
    j["origin"] = "not from a package";
    return j;
}

}  // namespace hap
