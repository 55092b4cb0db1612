#include "runsc_info.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

#include "error.h"
#include "files.h"
#include "process.h"

namespace hap {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
}

// Go's flag package prints a flag as "  -platform string" and its usage on
// the lines after it, each indented by spaces and a tab, ending in
// `(default "X")`.
std::string platform_flag_usage(const std::string& flags_text) {
    const auto lines = lines_of(flags_text);
    std::string usage;
    for (size_t i = 0; i < lines.size(); ++i) {
        if (trim(lines[i]) != "-platform string") continue;
        for (size_t j = i + 1; j < lines.size() && lines[j].find("\t") != std::string::npos; ++j)
            usage += (usage.empty() ? "" : " ") + trim(lines[j]);
        break;
    }
    return usage;
}

}  // namespace

bool RunscInfo::has(const std::string& platform) const {
    for (const auto& p : platforms)
        if (p == platform) return true;
    return false;
}

std::string RunscInfo::platform_list() const {
    std::string s;
    for (const auto& p : platforms) s += (s.empty() ? "" : ", ") + p;
    return s;
}

RunscInfo parse_runsc_info(const std::string& version_text, const std::string& flags_text,
                           const std::string& platforms_text) {
    RunscInfo info;
    for (const auto& line : lines_of(version_text)) {
        const std::string prefix = "runsc version ";
        if (line.rfind(prefix, 0) == 0) {
            info.version = trim(line.substr(prefix.size()));
            break;
        }
    }
    static const std::regex name(R"(^[a-z][a-z0-9_-]*$)");
    for (const auto& line : lines_of(platforms_text))
        if (std::string p = trim(line); std::regex_match(p, name)) info.platforms.push_back(p);

    const std::string usage = platform_flag_usage(flags_text);
    std::smatch m;
    static const std::regex dflt(R"re(\(default "([^"]+)"\))re");
    if (std::regex_search(usage, m, dflt)) info.default_platform = m[1];
    if (info.platforms.empty()) {
        // "specifies which platform to use: systrap (default), ptrace, kvm."
        static const std::regex listed(R"(platform to use: ([^.]*)\.)");
        if (std::regex_search(usage, m, listed))
            for (std::string p : split(m[1], ',')) {
                p = trim(p);
                if (auto sp = p.find(' '); sp != std::string::npos) p = p.substr(0, sp);
                if (std::regex_match(p, name)) info.platforms.push_back(p);
            }
    }
    // runsc prints its platforms from a Go map, in a new order each time:
    // the default first, then by name, so that messages and stores agree.
    std::sort(info.platforms.begin(), info.platforms.end(), [&](const std::string& a, const std::string& b) {
        return std::make_pair(a != info.default_platform, a) < std::make_pair(b != info.default_platform, b);
    });
    info.platforms.erase(std::unique(info.platforms.begin(), info.platforms.end()), info.platforms.end());
    return info;
}

RunscInfo read_runsc_info(const std::string& binary) {
    RunOptions o;
    o.timeout = std::chrono::seconds(10);
    // runsc prints its flags on stderr and help on stdout: read both.
    auto text = [&](Argv args) {
        Argv argv = {binary};
        argv.insert(argv.end(), args.begin(), args.end());
        auto r = run_command(argv, o);
        if (!r) throw UserError("cannot run " + binary + ": " + r.error().describe());
        return r->out + r->err;
    };
    RunscInfo info = parse_runsc_info(text({"--version"}), text({"flags"}), text({"help", "platforms"}));
    info.binary = binary;
    if (info.platforms.empty() || info.default_platform.empty())
        throw UserError(binary + " names no platforms in `runsc help platforms` / `runsc flags`",
                        "is it gVisor's runsc? check `" + binary + " --version`");
    return info;
}

std::string runsc_platform_blocker(const std::string& platform, const std::string& ptrace_scope_path) {
    if (platform != "ptrace" && platform != "systrap") return "";
    auto scope = read_file(ptrace_scope_path);
    if (!scope || trim(*scope) != "3") return "";
    return "kernel.yama.ptrace_scope is 3 (no process may ptrace another), and gVisor's " + platform +
           " platform attaches to its stubs with ptrace; the setting cannot be lowered without a reboot";
}

std::string runsc_crash_line(const std::string& boot_log) {
    std::string fatal, vector, frame;
    bool after_fatal = false;
    for (const auto& raw : lines_of(boot_log)) {
        const std::string line = trim(raw);
        if (line.rfind("Vector", 0) == 0 && line.find('=') != std::string::npos) {
            vector = trim(line.substr(line.find('=') + 1));
        } else if (line.rfind("fatal error:", 0) == 0 && fatal.empty()) {
            fatal = line;
            after_fatal = true;
        } else if (after_fatal && frame.empty() && line.rfind("gvisor.dev/", 0) == 0) {
            frame = line.substr(0, line.find('('));
            // "(*vCPU).SwitchToUser(" : the receiver's parenthesis is part of the name.
            if (line.compare(frame.size(), 2, "(*") == 0) frame = line.substr(0, line.find('(', line.find(')')));
            const std::string sentry = "gvisor.dev/gvisor/pkg/sentry/";
            if (frame.rfind(sentry, 0) == 0) frame = frame.substr(sentry.size());
            if (auto slash = frame.rfind('/'); slash != std::string::npos) frame = frame.substr(slash + 1);
        }
    }
    if (fatal.empty()) return "";
    std::string out = "the sentry died: " + fatal;
    if (!vector.empty()) {
        static const std::map<unsigned long, std::string> names = {{0, "#DE"}, {6, "#UD"}, {13, "#GP"}, {14, "#PF"}};
        unsigned long v = std::strtoul(vector.c_str(), nullptr, 16);
        auto it = names.find(v);
        out += " (vector " + std::to_string(v) + (it == names.end() ? "" : ", " + it->second) + ")";
    }
    if (!frame.empty()) out += " in " + frame;
    return out;
}

std::string runsc_error_line(const std::string& text) {
    // glog prefix: severity, date, time, thread id, file:line]
    static const std::regex glog(R"(^[IWEF]\d{4} [0-9:.]+\s+\d+ [^\]]+\] )");
    std::string last;
    for (const auto& line : lines_of(text)) {
        std::string l = std::regex_replace(trim(line), glog, "");
        if (!l.empty()) last = l;
    }
    return last;
}

RunscPlatformProbe probe_runsc_platform(const std::string& binary, const std::string& platform,
                                        const std::string& state_dir, std::chrono::seconds timeout) {
    static std::atomic<int> seq{0};
    const std::string root = state_dir + "/runsc-probe-" + std::to_string(::getpid()) + "-" + std::to_string(seq++);
    if (auto st = make_dirs(root); !st) return {false, st.error().describe()};
    RunOptions o;
    o.timeout = timeout;
    // --network=none: the probe asks whether the platform starts, not whether
    // the host's namespace suits gVisor's netstack.
    // The sentry's own log: a sandbox that crashes says why only there.
    const std::string logs = root + "/log/";
    auto r = run_command({binary, "--root", root, "--network=none", "--debug-log=" + logs, "--platform=" + platform, "do",
                          "/bin/true"},
                         o);
    // A probe killed at its timeout leaves the sandbox it started: the
    // sentry and gofer run in sessions of their own, outside the process
    // group the timeout killed. They carry the probe's --root in their
    // command lines.
    if (r && r->timed_out) (void)run_command({"pkill", "-KILL", "-f", root});
    std::string crash;
    if (r && !r->succeeded())
        for (const auto& name : list_dir(logs))
            if (name.find(".boot.") != std::string::npos)
                if (auto text = read_file(logs + name); text && crash.empty()) crash = runsc_crash_line(*text);
    (void)run_command({"rm", "-rf", "--one-file-system", root});
    if (!r) return {false, r.error().describe()};
    if (r->succeeded()) return {true, ""};
    if (auto blocker = runsc_platform_blocker(platform); !blocker.empty()) return {false, blocker};
    if (!crash.empty()) return {false, crash};
    if (r->timed_out)
        return {false, "`runsc --platform=" + platform + " do /bin/true` did not finish within " +
                           std::to_string(timeout.count()) + " s"};
    std::string why = runsc_error_line(r->err + r->out);
    return {false, why.empty() ? r->summary() : why};
}

}  // namespace hap
