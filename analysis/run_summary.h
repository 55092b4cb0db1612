// Per-run HAP figures read back from the store: unique symbols of each kind,
// in total and per role. A figure the run's mode did not capture is absent
// (nullopt), never zero, so "not measured" cannot pass for "none reached".
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store.h"

namespace hap {

inline const std::vector<std::string> kRoles = {"workload", "runtime", "vmm", "vcpu", "backend", "unknown"};

struct RunSummary {
    RunRow run;
    std::optional<int64_t> hap_fn, hap_sys, hap_hc;  // hc: hypercalls + exit reasons
    // Functions by raw name, one per address (cell_figures.h): hap_fn merges
    // clones and same-named functions, this does not.
    std::optional<int64_t> hap_fn_raw;
    // kind -> role -> unique; only kinds the mode captured and roles the
    // sandbox had (roles_present), plus "unknown" where it reached something
    std::map<std::string, std::map<std::string, int64_t>> by_role;
};

// The roles a run's sandbox had: those of its traced tasks, role unknown
// aside. A figure of a role the sandbox did not have does not apply to it:
// empty, never 0 (a container has no backend, native has no runtime, a
// microvm no vhost worker). A role that existed and reached nothing is 0.
std::set<std::string> roles_present(const std::vector<StoredTask>& tasks);

// Which symbol kinds a mode string ("syscalls,kvm") captures.
std::vector<std::string> kinds_captured(const std::string& mode);

// The counting window of a `hapctl trace` run (settings "window"), short:
// "from 2.0 s", "from SIGUSR1 at 3.1 s for 5.0 s", "at SIGUSR1" (not open
// yet, or never). "" for a run counted whole, and for runs of other commands.
std::string window_note(const std::string& settings_json);

Expected<std::vector<RunSummary>> summarize_runs(Store& store, const RunFilter& filter);

}  // namespace hap
