// What a run captures (DESIGN.md, "Capture modes") and whether this kernel
// really allows it. Availability is probed by doing the thing (setting the
// tracer in a scratch instance), because a listed tracer may still be refused.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "error.h"

namespace hap {

// FunctionRetire: the `function` tracer, with every function written into
// set_ftrace_notrace once each role that runs has been counted reaching it
// (issue 22; function_retirer.h). Its own mode name, so its runs never
// compare silently with full captures (`check` matches on the mode).
enum class CaptureMode { Syscalls, Kvm, Function, FunctionGraph, FunctionRetire };

const char* mode_name(CaptureMode m);
// "syscalls", "syscalls,kvm", "function_graph,syscalls", "auto".
// `auto` is resolved later against the kernel; here it yields an empty set.
Expected<std::set<CaptureMode>> parse_modes(const std::string& spec);
std::string modes_to_string(const std::set<CaptureMode>& modes);
// Whether `modes` trace kernel functions (function, function_graph or
// function_retire): what
// decides the ftrace formats, the pid filter of the tracer, entry-path ABIs
// and the count of traceable functions.
inline bool traces_functions(const std::set<CaptureMode>& modes) {
    return modes.count(CaptureMode::Function) || modes.count(CaptureMode::FunctionGraph) ||
           modes.count(CaptureMode::FunctionRetire);
}

struct ModeAvailability {
    CaptureMode mode;
    bool available = false;
    std::string reason;  // why not, in words a user can act on
};

// Probes the modes in `only` (every mode when empty) on the running kernel.
// Needs root for the tracer probes. A tracer probe sets the tracer in a
// scratch instance: the kernel then patches every ftrace call site twice,
// which costs seconds of system time on a slow (emulated) CPU, so callers
// that know their modes probe only those.
std::vector<ModeAvailability> probe_modes(const std::string& tracing_dir, const std::set<CaptureMode>& only = {});

// The modes `auto` stands for on this kernel: the best function-level mode the
// kernel allows, plus syscalls, plus kvm when its events exist.
std::set<CaptureMode> resolve_auto(const std::vector<ModeAvailability>& probed);

// Throws UserError naming the first requested mode the kernel does not allow.
void require_modes(const std::set<CaptureMode>& wanted, const std::vector<ModeAvailability>& probed);

}  // namespace hap
