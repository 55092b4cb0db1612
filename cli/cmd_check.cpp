// hapctl check: the kernel-upgrade regression gate for CI. Exit 0 when no
// cell's figure grew by more than --max-increase percent over the baseline,
// 1 on a regression (or a baseline cell the candidate lacks), 2 on usage.
#include <cmath>
#include <iostream>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "open_store.h"
#include "options.h"
#include "regression_check.h"
#include "text_table.h"

namespace hap::cli {

int cmd_check(const std::vector<std::string>& args) {
    std::string db, baseline, figure;
    double max_increase = NAN;
    RunSelection sel;
    std::string base_kernel;
    po::options_description desc("options");
    desc.add_options()("baseline", po::value(&baseline)->required(), "database holding the baseline runs")(
        "db", po::value(&db)->default_value(default_db_path()), "database holding the candidate runs ($HAP_DB)")(
        "max-increase", po::value(&max_increase)->required(), "allowed growth of a cell's mean, in percent")(
        "figure", po::value(&figure), "hap_fn, hap_sys, hap_hc, backend or hap_cc (default: hap_fn if captured, else hap_sys)")(
        "kernel", po::value(&sel.kernel), "candidate kernel release (when the candidate database holds several)")(
        "baseline-kernel", po::value(&base_kernel), "baseline kernel release (when the baseline database holds several)")(
        "runtime", po::value(&sel.runtime), "only this runtime")("workload", po::value(&sel.workload), "only this workload")(
        "mode", po::value(&sel.mode), "only runs of this capture mode");
    po::variables_map vm;
    if (!parse_options("check", "--baseline DB [--db DB] --max-increase PCT [options]", desc, args, vm)) return 0;
    if (!std::isfinite(max_increase) || max_increase < 0)
        throw UserError("--max-increase must be a percentage >= 0", "", kExitUsage);
    RunSelection base_sel = sel;
    base_sel.kernel = base_kernel;
    const bool cc = figure == "hap_cc";
    auto base_store = open_existing_store(baseline);
    auto base_cells = load_cells(*base_store, base_sel, cc);
    if (!base_cells) throw UserError("baseline: " + base_cells.error().describe());
    auto cand_store = open_existing_store(db);
    auto cand_cells = load_cells(*cand_store, sel, cc);
    if (!cand_cells) throw UserError("candidate: " + cand_cells.error().describe());
    auto result = check_regression(*base_cells, *cand_cells, max_increase, figure);
    if (!result) throw UserError(result.error().describe());

    std::cout << fmt::format("hap check: candidate {} against baseline {}, threshold +{:g}% of the cell mean\n", db, baseline, max_increase);
    TextTable t({"cell", "mode", "figure", "baseline kernel", "candidate kernel", "n", "baseline", "candidate", "change",
                 "+names", "-names", "verdict"});
    for (const auto& c : result->cells)
        t.add({c.baseline.label(), c.baseline.mode, c.figure, c.baseline.kernel, c.candidate.kernel,
               fmt::format("{}/{}", c.n_before, c.n_after), fmt::format("{:.1f}", c.before), fmt::format("{:.1f}", c.after),
               c.increase_pct ? fmt::format("{:+.1f}%", *c.increase_pct) : "from 0", std::to_string(c.added.size()),
               std::to_string(c.removed.size()), c.regression ? "REGRESSION" : "ok"});
    t.print(std::cout);
    for (const auto& m : result->missing) std::cout << "MISSING: the candidate has no complete runs for " << m << "\n";
    for (const auto& c : result->cells) {
        if (!c.regression || c.added.empty()) continue;
        std::string names;
        for (size_t i = 0; i < c.added.size() && i < 10; ++i) names += (i ? " " : "") + c.added[i];
        std::cout << fmt::format("{}: newly reached {}{}\n", c.baseline.label(), names,
                                 c.added.size() > 10 ? fmt::format(" ... ({} more)", c.added.size() - 10) : "");
    }
    if (result->passed()) {
        std::cout << "PASS: no cell grew beyond the threshold\n";
        return kExitOk;
    }
    std::cout << "FAIL: the candidate widens the attack profile (see `hapctl diff " << baseline << " " << db << "`)\n";
    return kExitFailure;
}

}  // namespace hap::cli
