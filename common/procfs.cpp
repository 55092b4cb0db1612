#include "procfs.h"

#include <algorithm>
#include <cctype>

#include "files.h"

namespace hap {
namespace {

std::string proc(pid_t pid, const char* leaf) { return "/proc/" + std::to_string(pid) + "/" + leaf; }

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::optional<std::string> status_field(pid_t pid, const std::string& key) {
    auto text = read_file(proc(pid, "status"));
    if (!text) return std::nullopt;
    for (const auto& line : split(*text, '\n'))
        if (line.rfind(key + ":", 0) == 0) return trim(line.substr(key.size() + 1));
    return std::nullopt;
}

}  // namespace

std::vector<pid_t> thread_ids(pid_t pid) {
    std::vector<pid_t> tids;
    for (const auto& n : list_dir(proc(pid, "task")))
        if (all_digits(n)) tids.push_back(std::stoi(n));
    std::sort(tids.begin(), tids.end());
    return tids;
}

std::optional<pid_t> parent_pid(pid_t pid) {
    auto v = status_field(pid, "PPid");
    if (!v || !all_digits(*v)) return std::nullopt;
    return std::stoi(*v);
}

std::optional<pid_t> thread_group_id(pid_t tid) {
    auto v = status_field(tid, "Tgid");
    if (!v || !all_digits(*v)) return std::nullopt;
    return std::stoi(*v);
}

std::string task_comm(pid_t tid) {
    auto c = read_file(proc(tid, "comm"));
    return c ? trim(*c) : "";
}

std::string task_cmdline(pid_t pid) {
    auto c = read_file(proc(pid, "cmdline"));
    if (!c) return "";
    std::string s = *c;
    std::replace(s.begin(), s.end(), '\0', ' ');
    return trim(s);
}

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    for (const auto& n : list_dir("/proc"))
        if (all_digits(n)) pids.push_back(std::stoi(n));
    return pids;
}

std::vector<pid_t> child_pids(pid_t pid) {
    std::vector<pid_t> out;
    for (pid_t tid : thread_ids(pid)) {
        auto text = read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/children");
        if (!text) continue;
        for (const auto& c : split(trim(*text), ' '))
            if (all_digits(c)) out.push_back(std::stoi(c));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::vector<pid_t> descendants(pid_t pid) {
    std::vector<pid_t> out, todo = child_pids(pid);
    while (!todo.empty()) {
        pid_t p = todo.back();
        todo.pop_back();
        if (std::find(out.begin(), out.end(), p) != out.end()) continue;
        out.push_back(p);
        for (pid_t c : child_pids(p)) todo.push_back(c);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> task_cgroups(pid_t pid) {
    std::vector<std::string> lines;
    auto text = read_file(proc(pid, "cgroup"));
    if (!text) return lines;
    for (auto& l : split(trim(*text), '\n'))
        if (!l.empty()) lines.push_back(l);
    return lines;
}

std::string boot_id() {
    auto b = read_file("/proc/sys/kernel/random/boot_id");
    return b ? trim(*b) : "";
}

}  // namespace hap
