#include "run_summary.h"

#include <algorithm>

#include "files.h"

namespace hap {

std::set<std::string> roles_present(const std::vector<StoredTask>& tasks) {
    std::set<std::string> roles;
    for (const auto& t : tasks)
        if (t.role != "unknown") roles.insert(t.role);
    return roles;
}

std::vector<std::string> kinds_captured(const std::string& mode) {
    std::vector<std::string> kinds;
    for (const auto& m : split(mode, ',')) {
        if (m == "syscalls") kinds.push_back("syscall");
        if (m == "function" || m == "function_graph") kinds.push_back("function");
        if (m == "kvm") {
            kinds.push_back("hypercall");
            kinds.push_back("exit_reason");
        }
    }
    return kinds;
}

Expected<std::vector<RunSummary>> summarize_runs(Store& store, const RunFilter& filter) {
    auto runs = store.runs(filter);
    if (!runs) return runs.error();
    std::vector<RunSummary> out;
    for (auto& r : *runs) {
        RunSummary s;
        s.run = r;
        auto counts = store.unique_counts(r.id);
        if (!counts) return counts.error();
        const auto kinds = kinds_captured(r.mode);
        auto captured = [&](const std::string& k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
        auto tasks = store.tasks(r.id);
        if (!tasks) return tasks.error();
        const auto roles = roles_present(*tasks);
        for (const auto& k : kinds)
            for (const auto& role : roles) s.by_role[k][role] = 0;
        int64_t hc = 0;
        for (const auto& c : *counts) {
            if (!captured(c.kind)) continue;
            if (c.role == "*") {
                if (c.kind == "function") s.hap_fn = c.unique;
                if (c.kind == "syscall") s.hap_sys = c.unique;
                if (c.kind == "hypercall" || c.kind == "exit_reason") hc += c.unique;
            } else {
                s.by_role[c.kind][c.role] = c.unique;
            }
        }
        // A complete run that captured a kind but reached none of it has 0.
        if (r.status == "complete") {
            if (captured("function") && !s.hap_fn) s.hap_fn = 0;
            if (captured("syscall") && !s.hap_sys) s.hap_sys = 0;
            if (captured("hypercall")) s.hap_hc = hc;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace hap
