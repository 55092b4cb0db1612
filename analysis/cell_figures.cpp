#include "cell_figures.h"

#include <algorithm>
#include <cstring>

#include "run_summary.h"

namespace hap {

std::string CellKey::label() const { return runtime + (platform.empty() ? "" : "/" + platform) + " " + workload; }

const char* Cell::traceable_share_figure() const {
    // available_filter_functions lists one line per function address, as
    // hap_fn_raw counts; hap_fn's merged names would understate the share.
    // Runs stored before hap_fn_raw existed have hap_fn only.
    return figure("hap_fn_raw") ? "hap_fn_raw" : "hap_fn";
}

std::optional<double> Cell::traceable_share() const {
    const FigureStat* fn = figure(traceable_share_figure());
    if (!fn || !traceable_functions || *traceable_functions <= 0) return std::nullopt;
    return fn->stat.mean / static_cast<double>(*traceable_functions);
}

const FigureStat* Cell::figure(const std::string& name) const {
    auto it = figures.find(name);
    return it == figures.end() ? nullptr : &it->second;
}

const std::vector<std::string>& headline_figures() {
    static const std::vector<std::string> names = {"hap_fn", "hap_fn_raw", "hap_cc", "hap_sys", "hap_hc", "backend"};
    return names;
}

std::map<std::string, std::set<std::string>> figure_sets(const std::string& mode, const std::vector<StoredHit>& hits,
                                                         const std::set<std::string>& roles) {
    std::map<std::string, std::set<std::string>> sets;
    const auto kinds = kinds_captured(mode);
    auto captured = [&](const char* k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); };
    // Captured figures exist even when nothing was reached: 0 is a result.
    auto declare = [&](const std::string& fig) {
        sets[fig];
        for (const auto& role : roles) sets[fig + ":" + role];
    };
    if (captured("function")) {
        declare("hap_fn");
        sets["hap_fn_raw"];
        if (roles.count("backend")) sets["backend"];
    }
    if (captured("syscall")) declare("hap_sys");
    if (captured("hypercall")) {
        declare("hap_hc");
        // Listed beside HAP_hc, not counted in it: which ports and guest
        // physical addresses the guest's exits touched.
        sets["pio"];
        sets["mmio"];
    }
    for (const auto& h : hits) {
        std::string fig, name = h.normalized;
        if (h.kind == "function") fig = "hap_fn";
        else if (h.kind == "syscall") fig = "hap_sys";
        else if (h.kind == "hypercall" || h.kind == "exit_reason") {
            fig = "hap_hc";
            name = h.kind + ":" + h.normalized;
        } else if (h.kind == "pio" || h.kind == "mmio") {
            if (sets.count(h.kind) && h.role != "unknown") sets[h.kind].insert(h.normalized);
            continue;
        }
        if (fig.empty() || !sets.count(fig)) continue;  // a kind the mode did not capture
        sets[fig + ":" + h.role].insert(name);  // "unknown" appears only where it reached something
        if (h.role == "unknown") continue;  // not a task of the sandbox: shown, not counted (Store::unique_counts)
        sets[fig].insert(name);
        // Raw names keep clones (foo.part.0 beside foo) and same-named
        // functions (foo@vmlinux:1, foo@vmlinux:2) apart: one per address.
        if (fig == "hap_fn") sets["hap_fn_raw"].insert(h.raw);
        if (fig == "hap_fn" && h.role == "backend" && sets.count("backend")) sets["backend"].insert(name);
    }
    return sets;
}

Expected<std::vector<RunSets>> load_run_sets(Store& store, const RunSelection& sel) {
    RunFilter filter;
    filter.status = "complete";
    if (!sel.runtime.empty()) filter.runtime = sel.runtime;
    if (!sel.workload.empty()) filter.workload = sel.workload;
    auto runs = store.runs(filter);
    if (!runs) return runs.error();
    std::vector<RunSets> out;
    for (auto& r : *runs) {
        if (!sel.kernel.empty() && r.kernel_release != sel.kernel) continue;
        if (!sel.mode.empty() && r.mode != sel.mode) continue;
        if (!sel.platform.empty() && r.platform != sel.platform) continue;
        auto hits = store.hits(r.id);
        if (!hits) return hits.error();
        auto tasks = store.tasks(r.id);
        if (!tasks) return tasks.error();
        out.push_back(RunSets{r, figure_sets(r.mode, *hits, roles_present(*tasks))});
    }
    return out;
}

HapCc hap_cc(const std::set<std::string>& functions, const std::map<std::string, int64_t>& table) {
    HapCc cc;
    for (const auto& f : functions) {
        auto it = table.find(f);
        if (it == table.end()) ++cc.unmatched;
        else cc.sum += it->second;
    }
    return cc;
}

Expected<std::vector<Cell>> compute_cells(const std::vector<RunSets>& runs, const CellOptions& options) {
    std::map<CellKey, std::vector<const RunSets*>> groups;
    for (const auto& r : runs) {
        if (r.run.status != "complete") continue;
        groups[CellKey{r.run.runtime, r.run.platform, r.run.workload, r.run.kernel_release, r.run.mode}].push_back(&r);
    }
    std::vector<Cell> cells;
    for (const auto& [key, members] : groups) {
        Cell c;
        c.key = key;
        std::map<std::string, std::vector<double>> values;
        std::vector<double> tp, untraced;
        for (const RunSets* r : members) {
            c.run_ids.push_back(r->run.id);
            for (const auto& [fig, names] : r->names) {
                values[fig].push_back(static_cast<double>(names.size()));
                c.unions[fig].insert(names.begin(), names.end());
            }
            if (r->run.throughput) {
                tp.push_back(*r->run.throughput);
                c.throughput_unit = r->run.throughput_unit;
            }
            if (r->run.throughput_untraced) untraced.push_back(*r->run.throughput_untraced);
        }
        for (const auto& [fig, v] : values) c.figures[fig] = FigureStat{describe(v), static_cast<int64_t>(c.unions[fig].size())};
        for (const char* fig : {"hap_fn", "hap_sys"}) {
            if (!values.count(fig)) continue;
            std::vector<std::map<std::string, double>> per_run;  // segment -> names, one map a run
            std::set<std::string> segments;
            for (const RunSets* r : members) {
                auto all = r->names.find(fig);
                if (all == r->names.end()) continue;
                auto& counts = per_run.emplace_back();
                counts[kSharedSegment] = 0;
                for (const auto& name : all->second) {
                    std::string only;
                    int reached = 0;
                    for (const auto& [role_fig, names] : r->names) {
                        if (role_fig.rfind(std::string(fig) + ":", 0) != 0 || role_fig == std::string(fig) + ":unknown") continue;
                        if (!names.count(name)) continue;
                        ++reached;
                        only = role_fig.substr(std::strlen(fig) + 1);
                    }
                    counts[reached == 1 ? only : kSharedSegment] += 1;
                }
                for (const auto& [seg, n] : counts) segments.insert(seg);
            }
            // A segment a run lacks is 0 for it: every run counts in every mean.
            for (const auto& seg : segments) {
                std::vector<double> v;
                for (const auto& counts : per_run) v.push_back(counts.count(seg) ? counts.at(seg) : 0.0);
                c.role_stacks[fig][seg] = describe(v);
            }
        }
        if (!tp.empty()) c.throughput = describe(tp);
        if (!untraced.empty()) c.throughput_untraced = describe(untraced);
        if (auto t = options.traceable.find(key.kernel); t != options.traceable.end()) c.traceable_functions = t->second;
        if (options.complexity && c.unions.count("hap_fn")) {
            auto table = options.complexity->find(key.kernel);
            if (table == options.complexity->end() || table->second.empty())
                return Error{"no complexity table for kernel " + key.kernel + ", so HAP_cc cannot be computed"};
            std::vector<double> cc;
            for (const RunSets* r : members) cc.push_back(static_cast<double>(hap_cc(r->names.at("hap_fn"), table->second).sum));
            c.figures["hap_cc"] = FigureStat{describe(cc), hap_cc(c.unions["hap_fn"], table->second).sum};
        }
        cells.push_back(std::move(c));
    }
    return cells;
}

Expected<std::vector<Cell>> load_cells(Store& store, const RunSelection& selection, bool with_cc) {
    auto runs = load_run_sets(store, selection);
    if (!runs) return runs.error();
    CellOptions opts;
    auto kernels = store.kernels();
    if (!kernels) return kernels.error();
    for (const auto& k : *kernels)
        if (k.traceable_functions) opts.traceable[k.release] = *k.traceable_functions;
    ComplexityTables tables;
    if (with_cc) {
        for (const auto& r : *runs) {
            if (tables.count(r.run.kernel_release)) continue;
            auto t = store.complexity(r.run.kernel_release);
            if (!t) return t.error();
            tables[r.run.kernel_release] = std::move(*t);
        }
        opts.complexity = &tables;
    }
    return compute_cells(*runs, opts);
}

}  // namespace hap
