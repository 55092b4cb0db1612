// Per-run HAP figures read back from the store: unique symbols of each kind,
// in total and per role. A figure the run's mode did not capture is absent
// (nullopt), never zero, so "not measured" cannot pass for "none reached".
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "store.h"

namespace hap {

inline const std::vector<std::string> kRoles = {"workload", "runtime", "vmm", "vcpu", "backend", "unknown"};

struct RunSummary {
    RunRow run;
    std::optional<int64_t> hap_fn, hap_sys, hap_hc;  // hc: hypercalls + exit reasons
    // kind -> role -> unique; only kinds the mode captured
    std::map<std::string, std::map<std::string, int64_t>> by_role;
};

// Which symbol kinds a mode string ("syscalls,kvm") captures.
std::vector<std::string> kinds_captured(const std::string& mode);

Expected<std::vector<RunSummary>> summarize_runs(Store& store, const RunFilter& filter);

}  // namespace hap
