#include "run_summary.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
        if (m == "function" || m == "function_graph" || m == "function_retire") kinds.push_back("function");
        if (m == "kvm") {
            kinds.push_back("hypercall");
            kinds.push_back("exit_reason");
        }
    }
    return kinds;
}

std::string window_note(const std::string& settings_json) {
    const auto settings = nlohmann::json::parse(settings_json, nullptr, false);
    if (!settings.is_object()) return "";
    const auto it = settings.find("window");
    // Runs of `measure`, and `trace` runs before windows, describe it in words.
    if (it == settings.end() || !it->is_object()) return "";
    const auto& w = *it;
    auto number = [&](const char* key) -> std::optional<double> {
        auto f = w.find(key);
        return f != w.end() && f->is_number() ? std::optional<double>(f->get<double>()) : std::nullopt;
    };
    const std::string by = w.value("started_by", nlohmann::json(nullptr)).is_string() ? w["started_by"].get<std::string>() : "";
    std::string note;
    if (by == "signal") {
        note = fmt::format("from SIGUSR1 at {:.1f} s", number("start_s").value_or(0));
    } else if (by == "delay") {  // a --duration alone opens it at 0: only the length is news
        if (number("delay_s").value_or(0) > 0)
            note = fmt::format("from {:.1f} s", number("start_s").value_or(*number("delay_s")));
    } else if (by.empty()) {  // not open yet (running), or never (failed)
        if (number("delay_s").value_or(0) > 0) note = fmt::format("from {:.1f} s", *number("delay_s"));
        else if (w.value("wait_signal", false)) note = "at SIGUSR1";
    }
    if (auto d = number("duration_s")) note += fmt::format("{}for {:.1f} s", note.empty() ? "" : " ", *d);
    return note;
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
                if (c.kind == "function") {
                    s.hap_fn = c.unique;
                    s.hap_fn_raw = c.unique_raw;
                }
                if (c.kind == "syscall") s.hap_sys = c.unique;
                if (c.kind == "hypercall" || c.kind == "exit_reason") hc += c.unique;
            } else {
                s.by_role[c.kind][c.role] = c.unique;
            }
        }
        // A complete run that captured a kind but reached none of it has 0.
        if (r.status == "complete") {
            if (captured("function") && !s.hap_fn) s.hap_fn = 0;
            if (captured("function") && !s.hap_fn_raw) s.hap_fn_raw = 0;
            if (captured("syscall") && !s.hap_sys) s.hap_sys = 0;
            if (captured("hypercall")) s.hap_hc = hc;
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace hap
