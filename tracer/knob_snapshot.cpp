#include "knob_snapshot.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "files.h"
#include "process.h"

namespace hap {

namespace {
bool ends_with(const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
}  // namespace

std::string value_to_restore(const std::string& path, const std::string& read_value) {
    std::string v = trim(read_value);
    // Empty lists read as a comment: "no pid", "#### all functions enabled
    // ####" (set_ftrace_filter), "#### no functions disabled ####" (set_ftrace_notrace).
    if (v == "no pid" || v.rfind("#### all functions enabled ####", 0) == 0 || v.rfind("#### no functions disabled ####", 0) == 0)
        return "";
    // Function lists read one function a line, a module's as "name [mod]",
    // which must be written back as "name:mod:mod". (A name two static
    // functions share comes back once and is written back for both: the
    // kernel keeps addresses, but shows and takes names.)
    if (ends_with(path, "set_ftrace_notrace") || ends_with(path, "set_ftrace_filter")) {
        std::string out;
        for (auto line : split(v, '\n')) {
            line = trim(line);
            if (line.empty() || line[0] == '#') continue;
            auto open = line.find(" ["), close = line.rfind(']');
            if (open != std::string::npos && close != std::string::npos && close > open)
                line = line.substr(0, open) + ":mod:" + line.substr(open + 2, close - open - 2);
            if (!out.empty()) out += '\n';
            out += line;
        }
        return out;
    }
    // trace_clock lists every clock and brackets the one in use: "[local] global ...".
    if (path.size() >= 11 && path.compare(path.size() - 11, 11, "trace_clock") == 0) {
        auto open = v.find('['), close = v.find(']');
        if (open != std::string::npos && close != std::string::npos && close > open) return v.substr(open + 1, close - open - 1);
    }
    return v;
}

KnobSnapshot::KnobSnapshot(std::string state_path) : state_path_(std::move(state_path)) {}

KnobSnapshot::~KnobSnapshot() { restore(); }

Status KnobSnapshot::set(const std::string& path, const std::string& value) {
    bool known = false;
    for (const auto& [p, v] : saved_) known = known || p == path;
    if (!known) {
        auto old = read_file(path);
        if (!old) return old.error();
        saved_.emplace_back(path, value_to_restore(path, *old));
        persist();  // before the write, so a crash right after it is covered
    }
    // A trailing newline makes the kernel report a bad value on this write.
    return write_file(path, value + "\n");
}

void KnobSnapshot::restore() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) (void)write_file(it->first, it->second + "\n");
    saved_.clear();
    if (!state_path_.empty()) ::unlink(state_path_.c_str());
}

void KnobSnapshot::persist() const {
    if (state_path_.empty()) return;
    nlohmann::json j;
    j["owner_pid"] = ::getpid();
    j["knobs"] = nlohmann::json::array();
    for (const auto& [p, v] : saved_) j["knobs"].push_back({{"path", p}, {"value", v}});
    auto dir = state_path_.substr(0, state_path_.rfind('/'));
    (void)make_dirs(dir);
    (void)write_file(state_path_ + ".tmp", j.dump());
    ::rename((state_path_ + ".tmp").c_str(), state_path_.c_str());
}

std::vector<std::string> KnobSnapshot::restore_stale(const std::string& dir) {
    std::vector<std::string> done;
    for (const auto& name : list_dir(dir)) {
        if (name.rfind("knobs-", 0) != 0 || name.find(".tmp") != std::string::npos) continue;
        const std::string path = dir + "/" + name;
        auto text = read_file(path);
        if (!text) continue;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.contains("owner_pid")) {
            ::unlink(path.c_str());
            continue;
        }
        if (process_alive(j["owner_pid"].get<int>())) continue;
        auto knobs = j["knobs"];
        for (auto it = knobs.rbegin(); it != knobs.rend(); ++it) {
            std::string p = (*it)["path"].get<std::string>(), v = (*it)["value"].get<std::string>();
            if (write_file(p, v + "\n")) done.push_back(p + " = '" + v + "'");
        }
        ::unlink(path.c_str());
    }
    return done;
}

}  // namespace hap
