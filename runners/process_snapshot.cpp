#include "process_snapshot.h"

#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/magic.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <regex>
#include <set>

#include "files.h"
#include "procfs.h"

namespace hap {
namespace {

constexpr unsigned long kPfKthread = 0x00200000;  // include/linux/sched.h

std::string proc(pid_t pid, const std::string& leaf) { return "/proc/" + std::to_string(pid) + "/" + leaf; }

bool all_digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Fields of /proc/PID/stat after "(comm)": state is [0], ppid [1], flags [6].
std::vector<std::string> stat_fields(pid_t pid) {
    auto text = read_file(proc(pid, "stat"));
    if (!text) return {};
    auto close = text->rfind(')');
    if (close == std::string::npos) return {};
    std::vector<std::string> out;
    for (const auto& f : split(text->substr(close + 1), ' '))
        if (!f.empty()) out.push_back(trim(f));
    return out;
}

std::vector<std::string> argv_of(pid_t pid) {
    auto c = read_file(proc(pid, "cmdline"));
    std::vector<std::string> out;
    if (!c || c->empty()) return out;
    std::string cur;
    for (char ch : *c) {
        if (ch == '\0') {
            out.push_back(cur);
            cur.clear();
        } else {
            cur += ch;
        }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
}

std::string exe_of(pid_t pid) {
    char buf[4096];
    ssize_t n = ::readlink(proc(pid, "exe").c_str(), buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

std::string cgroup_version() {
    struct statfs fs {};
    if (::statfs("/sys/fs/cgroup", &fs) != 0) return "";
    if (fs.f_type == CGROUP2_SUPER_MAGIC) return "2";
    struct statfs un {};
    if (::statfs("/sys/fs/cgroup/unified", &un) == 0 && un.f_type == CGROUP2_SUPER_MAGIC) return "hybrid";
    return "1";
}

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[32];
    std::strftime(b, sizeof b, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return b;
}

std::optional<SnapProcess> read_process(pid_t pid) {
    auto st = stat_fields(pid);
    if (st.size() < 7) return std::nullopt;  // gone
    SnapProcess p;
    p.pid = pid;
    p.tgid = thread_group_id(pid).value_or(pid);
    p.ppid = all_digits(st[1]) ? std::stoi(st[1]) : 0;
    p.comm = task_comm(pid);
    p.kernel_thread = (std::stoul(st[6]) & kPfKthread) != 0;
    if (!p.kernel_thread) {
        p.cmdline = argv_of(pid);
        p.exe = exe_of(pid);
    } else {
        // Since Linux 5.17 status "Name:" carries a kernel thread's full
        // name (comm is cut at 15 bytes: "kvm-nx-lpage-re").
        if (auto st = read_file(proc(pid, "status")))
            for (const auto& line : split(*st, '\n'))
                if (line.rfind("Name:", 0) == 0) p.full_name = trim(line.substr(5));
        p.owner_pid = kthread_owner_from_name(p.full_name.empty() ? p.comm : p.full_name);
    }
    p.cgroup = task_cgroups(pid);
    for (pid_t tid : thread_ids(pid)) {
        SnapThread t;
        t.tid = tid;
        t.tgid = p.tgid;
        t.ppid = p.ppid;
        t.comm = task_comm(tid);
        if (t.comm.empty()) continue;  // exited while read
        if (auto sc = read_file(proc(pid, "task/" + std::to_string(tid) + "/syscall"))) t.syscall = trim(*sc);
        p.threads.push_back(std::move(t));
    }
    if (p.threads.empty()) return std::nullopt;
    return p;
}

}  // namespace

const SnapProcess* ProcessSnapshot::find(pid_t pid) const {
    auto it = std::lower_bound(processes.begin(), processes.end(), pid,
                               [](const SnapProcess& p, pid_t v) { return p.pid < v; });
    return it != processes.end() && it->pid == pid ? &*it : nullptr;
}

pid_t kthread_owner_from_name(const std::string& comm) {
    for (const std::string prefix : {"vhost-", "kvm-pit/", "kvm-nx-lpage-recovery-"}) {
        if (comm.rfind(prefix, 0) != 0) continue;
        std::string rest = comm.substr(prefix.size());
        if (all_digits(rest) && rest.size() < 10) return std::stoi(rest);
    }
    return 0;
}

ProcessSnapshot take_process_snapshot(const std::vector<pid_t>& pids, const std::string& match_regex) {
    ProcessSnapshot s;
    s.taken_at = utc_now();
    struct utsname u {};
    if (::uname(&u) == 0) s.kernel_release = u.release;
    s.cgroup_version = cgroup_version();

    std::optional<std::regex> re;
    if (!match_regex.empty()) {
        try {
            re.emplace(match_regex, std::regex::extended);
        } catch (const std::regex_error& e) {
            throw UserError("--match '" + match_regex + "' is not a valid regular expression: " + e.what(), "",
                            kExitUsage);
        }
    }
    std::vector<SnapProcess> all;
    for (pid_t p : all_pids())
        if (auto sp = read_process(p)) all.push_back(std::move(*sp));
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });

    const bool everything = pids.empty() && !re;
    if (everything) {
        s.selection = "all";
        s.processes = std::move(all);
        return s;
    }
    std::set<pid_t> present;
    for (const auto& p : all) present.insert(p.pid);
    std::set<pid_t> roots;
    s.selection.clear();
    for (pid_t p : pids) {
        if (!present.count(p)) throw UserError("--pid " + std::to_string(p) + ": no such process", "", kExitUsage);
        roots.insert(p);
        s.selection += (s.selection.empty() ? "" : " ") + std::string("--pid ") + std::to_string(p);
    }
    if (re) {
        s.selection += (s.selection.empty() ? "" : " ") + std::string("--match ") + match_regex;
        const pid_t self = ::getpid();
        for (const auto& p : all) {
            if (p.pid == self) continue;  // hapctl's own argv holds the regex
            std::string joined;
            for (const auto& a : p.cmdline) joined += (joined.empty() ? "" : " ") + a;
            if (std::regex_search(p.comm, *re) || (!joined.empty() && std::regex_search(joined, *re)))
                roots.insert(p.pid);
        }
    }
    // Descendants, from the recorded ppids (one consistent view).
    std::set<pid_t> chosen = roots;
    for (bool grew = true; grew;) {
        grew = false;
        for (const auto& p : all)
            if (!chosen.count(p.pid) && chosen.count(p.ppid) && !p.kernel_thread) grew = chosen.insert(p.pid).second || grew;
    }
    bool any_kthread = false;
    for (const auto& p : all)
        if (p.kernel_thread && p.owner_pid && chosen.count(p.owner_pid)) {
            chosen.insert(p.pid);
            any_kthread = true;
        }
    for (pid_t p : chosen)
        if (const auto it = std::find_if(all.begin(), all.end(), [&](const auto& x) { return x.pid == p; });
            it != all.end() && it->kernel_thread)
            any_kthread = true;
    if (any_kthread && present.count(2)) chosen.insert(2);
    for (auto& p : all)
        if (chosen.count(p.pid)) s.processes.push_back(std::move(p));
    return s;
}

nlohmann::json snapshot_to_json(const ProcessSnapshot& s) {
    nlohmann::json procs = nlohmann::json::array();
    for (const auto& p : s.processes) {
        nlohmann::json threads = nlohmann::json::array();
        for (const auto& t : p.threads)
            threads.push_back({{"tid", t.tid}, {"tgid", t.tgid}, {"ppid", t.ppid}, {"comm", t.comm}, {"syscall", t.syscall}});
        procs.push_back({{"pid", p.pid},
                         {"tgid", p.tgid},
                         {"ppid", p.ppid},
                         {"comm", p.comm},
                         {"cmdline", p.cmdline},
                         {"exe", p.exe},
                         {"cgroup", p.cgroup},
                         {"kernel_thread", p.kernel_thread},
                         {"full_name", p.full_name},
                         {"owner_pid", p.owner_pid},
                         {"threads", threads}});
    }
    return {{"format", "hap-process-snapshot"},
            {"version", 1},
            {"taken_at", s.taken_at},
            {"host", {{"kernel_release", s.kernel_release}, {"cgroup_version", s.cgroup_version}, {"selection", s.selection}}},
            {"processes", procs}};
}

Expected<ProcessSnapshot> snapshot_from_json(const nlohmann::json& j) {
    if (!j.is_object() || j.value("format", "") != "hap-process-snapshot")
        return Error{"not a hap process snapshot (no \"format\": \"hap-process-snapshot\")"};
    if (j.value("version", 0) != 1) return Error{"unsupported snapshot version " + std::to_string(j.value("version", 0))};
    try {
        ProcessSnapshot s;
        s.taken_at = j.value("taken_at", "");
        if (j.contains("host")) {
            const auto& h = j.at("host");
            s.kernel_release = h.value("kernel_release", "");
            s.cgroup_version = h.value("cgroup_version", "");
            s.selection = h.value("selection", "");
        }
        for (const auto& jp : j.at("processes")) {
            SnapProcess p;
            p.pid = jp.at("pid").get<pid_t>();
            p.tgid = jp.value("tgid", p.pid);
            p.ppid = jp.value("ppid", 0);
            p.comm = jp.value("comm", "");
            p.cmdline = jp.value("cmdline", std::vector<std::string>{});
            p.exe = jp.value("exe", "");
            p.cgroup = jp.value("cgroup", std::vector<std::string>{});
            p.kernel_thread = jp.value("kernel_thread", false);
            p.full_name = jp.value("full_name", "");
            p.owner_pid = jp.value("owner_pid", 0);
            for (const auto& jt : jp.value("threads", nlohmann::json::array())) {
                SnapThread t;
                t.tid = jt.at("tid").get<pid_t>();
                t.tgid = jt.value("tgid", p.pid);
                t.ppid = jt.value("ppid", p.ppid);
                t.comm = jt.value("comm", "");
                t.syscall = jt.value("syscall", "");
                p.threads.push_back(std::move(t));
            }
            if (p.threads.empty()) p.threads.push_back(SnapThread{p.pid, p.tgid, p.ppid, p.comm, ""});
            s.processes.push_back(std::move(p));
        }
        std::sort(s.processes.begin(), s.processes.end(), [](const auto& a, const auto& b) { return a.pid < b.pid; });
        return s;
    } catch (const nlohmann::json::exception& e) {
        return Error{std::string("malformed process snapshot: ") + e.what()};
    }
}

Expected<ProcessSnapshot> load_snapshot(const std::string& path) {
    auto text = read_file(path);
    if (!text) return text.error();
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded()) return Error{path + ": not JSON"};
    auto s = snapshot_from_json(j);
    if (!s) return Error{path + ": " + s.error().message};
    return s;
}

}  // namespace hap
