#include "capture_mode.h"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "files.h"

namespace hap {
namespace {

std::string kernel_release() {
    utsname u{};
    return ::uname(&u) == 0 ? u.release : "unknown";
}

bool listed(const std::string& available_tracers, const std::string& tracer) {
    for (const auto& t : split(trim(available_tracers), ' '))
        if (t == tracer) return true;
    return false;
}

// Sets `tracer` in a scratch instance (or reports why the kernel refused).
// Function tracers in instances exist since 3.15 (function) and 6.11
// (function_graph); where the instance lacks it, the top level is probed by
// reading only, since writing there would disturb other users.
ModeAvailability probe_tracer(const std::string& dir, CaptureMode mode, const std::string& tracer) {
    ModeAvailability r{mode, false, {}};
    const std::string rel = kernel_release();
    auto top = read_file(dir + "/available_tracers");
    if (!top) {
        r.reason = "cannot read available_tracers: " + top.error().describe();
        return r;
    }
    if (!listed(*top, tracer)) {
        r.reason = "the " + tracer + " tracer is not available on this kernel (" + rel +
                   "): not in available_tracers, so CONFIG_" +
                   (mode == CaptureMode::FunctionGraph ? "FUNCTION_GRAPH_TRACER" : "FUNCTION_TRACER") +
                   " is off";
        return r;
    }
    const std::string inst = dir + "/instances/hap_probe_" + std::to_string(::getpid());
    ::rmdir(inst.c_str());
    if (::mkdir(inst.c_str(), 0755) != 0) {
        r.reason = "cannot create a tracefs instance to probe " + tracer + ": " + std::strerror(errno);
        return r;
    }
    (void)write_file(inst + "/tracing_on", "0\n");
    auto in_inst = read_file(inst + "/available_tracers");
    if (in_inst && listed(*in_inst, tracer)) {
        auto st = write_file(inst + "/current_tracer", tracer + "\n");
        if (st) {
            r.available = true;
            (void)write_file(inst + "/current_tracer", "nop\n");
        } else {
            r.reason = "the kernel (" + rel + ") refused the " + tracer + " tracer: writing '" + tracer +
                       "' to current_tracer: " + std::strerror(st.error().err);
        }
    } else {
        // Only the top level has it (function_graph before 6.11): it can be used
        // with save and restore; the write itself is checked when a run starts.
        r.available = true;
        r.reason = "top level only (no instance support on this kernel)";
    }
    ::rmdir(inst.c_str());
    return r;
}

ModeAvailability probe_event(const std::string& dir, CaptureMode mode, const std::string& event,
                             const std::string& why_missing) {
    ModeAvailability r{mode, false, {}};
    r.available = path_exists(dir + "/events/" + event + "/format");
    if (!r.available) r.reason = why_missing;
    return r;
}

}  // namespace

const char* mode_name(CaptureMode m) {
    switch (m) {
        case CaptureMode::Syscalls: return "syscalls";
        case CaptureMode::Kvm: return "kvm";
        case CaptureMode::Function: return "function";
        case CaptureMode::FunctionGraph: return "function_graph";
        case CaptureMode::FunctionRetire: return "function_retire";
    }
    return "?";
}

Expected<std::set<CaptureMode>> parse_modes(const std::string& spec) {
    std::set<CaptureMode> modes;
    if (trim(spec) == "auto") return modes;
    for (auto part : split(spec, ',')) {
        part = trim(part);
        bool found = false;
        for (auto m : {CaptureMode::Syscalls, CaptureMode::Kvm, CaptureMode::Function, CaptureMode::FunctionGraph,
                       CaptureMode::FunctionRetire}) {
            if (part == mode_name(m)) {
                modes.insert(m);
                found = true;
            }
        }
        if (!found) return Error{"unknown capture mode '" + part +
                                  "' (known: auto, syscalls, kvm, function, function_graph, function_retire)"};
    }
    if (int(modes.count(CaptureMode::Function)) + int(modes.count(CaptureMode::FunctionGraph)) +
            int(modes.count(CaptureMode::FunctionRetire)) > 1)
        return Error{"function, function_graph and function_retire are one tracer each: choose one"};
    return modes;
}

std::string modes_to_string(const std::set<CaptureMode>& modes) {
    std::string s;
    // Function-level first: it names the headline figure of the run.
    for (auto m : {CaptureMode::FunctionGraph, CaptureMode::Function, CaptureMode::FunctionRetire, CaptureMode::Syscalls,
                   CaptureMode::Kvm}) {
        if (!modes.count(m)) continue;
        if (!s.empty()) s += ',';
        s += mode_name(m);
    }
    return s;
}

std::vector<ModeAvailability> probe_modes(const std::string& dir, const std::set<CaptureMode>& only) {
    auto wanted = [&](CaptureMode m) { return only.empty() || only.count(m); };
    std::vector<ModeAvailability> out;
    if (wanted(CaptureMode::Syscalls))
        out.push_back(probe_event(dir, CaptureMode::Syscalls, "raw_syscalls/sys_enter",
                                  "no raw_syscalls:sys_enter event (CONFIG_FTRACE_SYSCALLS is off)"));
    if (wanted(CaptureMode::Kvm))
        out.push_back(probe_event(dir, CaptureMode::Kvm, "kvm/kvm_exit", "no kvm events: the kvm module is not loaded"));
    if (wanted(CaptureMode::Function)) out.push_back(probe_tracer(dir, CaptureMode::Function, "function"));
    if (wanted(CaptureMode::FunctionGraph)) out.push_back(probe_tracer(dir, CaptureMode::FunctionGraph, "function_graph"));
    // The retiring mode is the function tracer plus set_ftrace_notrace, which
    // every kernel with the tracer has: the same probe, never chosen by auto.
    if (wanted(CaptureMode::FunctionRetire) && !only.empty())
        out.push_back(probe_tracer(dir, CaptureMode::FunctionRetire, "function"));
    return out;
}

std::set<CaptureMode> resolve_auto(const std::vector<ModeAvailability>& probed) {
    std::set<CaptureMode> out;
    auto ok = [&](CaptureMode m) {
        for (const auto& p : probed)
            if (p.mode == m) return p.available;
        return false;
    };
    if (ok(CaptureMode::FunctionGraph)) out.insert(CaptureMode::FunctionGraph);
    else if (ok(CaptureMode::Function)) out.insert(CaptureMode::Function);
    if (ok(CaptureMode::Syscalls)) out.insert(CaptureMode::Syscalls);
    if (ok(CaptureMode::Kvm)) out.insert(CaptureMode::Kvm);
    return out;
}

void require_modes(const std::set<CaptureMode>& wanted, const std::vector<ModeAvailability>& probed) {
    for (const auto& p : probed) {
        if (!wanted.count(p.mode) || p.available) continue;
        bool fn = p.mode == CaptureMode::Function || p.mode == CaptureMode::FunctionGraph ||
                  p.mode == CaptureMode::FunctionRetire;
        throw UserError(std::string("--mode ") + mode_name(p.mode) + " cannot run here: " + p.reason,
                        fn ? "function-level capture needs a kernel that allows function tracers; "
                             "use --mode syscalls on this host (see `hapctl doctor`)"
                           : "see `hapctl doctor` for what this host can capture");
    }
}

}  // namespace hap
