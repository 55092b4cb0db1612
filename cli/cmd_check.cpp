// hapctl check: the kernel-upgrade regression gate for CI. Exit 0 when no
// cell regressed, 1 on a regression (or a baseline cell the candidate lacks),
// 2 on usage. A cell regresses when its growth exceeds --max-increase and
// lies beyond the baseline's spread named by --fail-on (regression_check.h):
// the same cells measured an hour apart differ by a few percent, and a gate
// that fires on that noise gets switched off.
#include <cmath>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "csv.h"
#include "open_store.h"
#include "options.h"
#include "regression_check.h"
#include "text_table.h"

namespace hap::cli {

int cmd_check(const std::vector<std::string>& args) {
    std::string db, baseline, figure, fail_on_arg = "both", format = "text";
    double max_increase = 0;
    RunSelection sel;
    std::string base_kernel, base_mode;
    po::options_description desc("options");
    desc.add_options()("baseline", po::value(&baseline)->required(), "database holding the baseline runs")(
        "db", po::value(&db)->default_value(default_db_path()), "database holding the candidate runs ($HAP_DB)")(
        "max-increase", po::value(&max_increase)->default_value(0), "allowed growth of a cell's mean, in percent")(
        "fail-on", po::value(&fail_on_arg)->default_value("both"),
        "which verdict fails the check, besides --max-increase: both (beyond the repetitions' noise, Welch's t-test "
        "at 95%, and beyond the baseline's union), repetitions, union, threshold (the percentage alone), or new-surface "
        "(newly reached names that are no rename, as a percentage of the baseline's union; needs both kernels' source maps)")(
        "format", po::value(&format)->default_value("text"), "text, or csv (one row per cell, new names ';'-separated)")(
        "figure", po::value(&figure), "hap_fn, hap_sys, hap_hc, backend or hap_cc (default: hap_fn if captured, else hap_sys)")(
        "kernel", po::value(&sel.kernel), "candidate kernel release (when the candidate database holds several)")(
        "baseline-kernel", po::value(&base_kernel), "baseline kernel release (when the baseline database holds several)")(
        "runtime", po::value(&sel.runtime), "only this runtime")("workload", po::value(&sel.workload), "only this workload")(
        "mode", po::value(&sel.mode), "only runs of this capture mode")(
        "baseline-mode", po::value(&base_mode),
        "compare across capture modes on purpose: the baseline's runs of this mode against the candidate's of --mode "
        "(e.g. --baseline-mode function --mode function_retire); a difference either way is then beyond the threshold "
        "and the repetitions");
    po::variables_map vm;
    if (!parse_options("check", "--baseline DB [--db DB] [--max-increase PCT] [--fail-on both|repetitions|union|threshold|new-surface]",
                       desc, args, vm))
        return 0;
    if (!std::isfinite(max_increase) || max_increase < 0)
        throw UserError("--max-increase must be a percentage >= 0", "", kExitUsage);
    const auto fail_on = parse_fail_on(fail_on_arg);
    if (!fail_on)
        throw UserError("--fail-on must be both, repetitions, union, threshold or new-surface, not '" + fail_on_arg + "'", "", kExitUsage);
    if (format != "text" && format != "csv") throw UserError("--format must be text or csv, not '" + format + "'", "", kExitUsage);
    RunSelection base_sel = sel;
    base_sel.kernel = base_kernel;
    const bool across_modes = !base_mode.empty();
    if (across_modes) {
        if (sel.mode.empty()) throw UserError("--baseline-mode needs --mode: which of the candidate's modes to compare with it", "", kExitUsage);
        base_sel.mode = base_mode;
    }
    const bool cc = figure == "hap_cc";
    auto base_store = open_existing_store(baseline);
    auto base_cells = load_cells(*base_store, base_sel, cc);
    if (!base_cells) throw UserError("baseline: " + base_cells.error().describe());
    auto cand_store = open_existing_store(db);
    auto cand_cells = load_cells(*cand_store, sel, cc);
    if (!cand_cells) throw UserError("candidate: " + cand_cells.error().describe());
    // Each side's kernels' source maps, from its own database: renames are
    // told from new surface with them.
    SourceMaps maps;
    for (auto [store, cells] : {std::pair{base_store.get(), &*base_cells}, std::pair{cand_store.get(), &*cand_cells}}) {
        std::vector<std::string> releases;
        for (const auto& c : *cells) releases.push_back(c.key.kernel);
        auto loaded = load_source_maps(*store, releases);
        if (!loaded) throw UserError(loaded.error().describe());
        for (auto& [k, m] : *loaded) maps.emplace(k, std::move(m));
    }
    auto result = check_regression(*base_cells, *cand_cells, max_increase, figure, *fail_on, &maps, across_modes);
    if (!result) throw UserError(result.error().describe());
    const int rc = result->passed() ? kExitOk : kExitFailure;
    auto yes = [](bool b) { return b ? "yes" : "no"; };
    auto renames = [](const std::vector<Rename>& v) {
        std::vector<std::string> out;
        for (const auto& r : v) out.push_back(r.before + ">" + r.after);
        return out;
    };
    if (format == "csv") {
        write_csv_row(std::cout, {"runtime", "platform", "workload", "mode", "figure", "baseline_kernel", "candidate_kernel", "n_baseline",
                 "n_candidate", "baseline_mean", "baseline_max", "baseline_union", "candidate_mean", "increase_pct", "noise_bound",
                 "beyond_threshold", "beyond_repetitions", "beyond_union", "regression", "added", "removed", "renamed", "new_surface",
                 "new_surface_pct", "beyond_new_surface"});
        auto join = [](const std::vector<std::string>& v) {
            std::string s;
            for (const auto& n : v) s += (s.empty() ? "" : ";") + n;
            return s;
        };
        for (const auto& c : result->cells)
            write_csv_row(std::cout, {c.baseline.runtime, c.baseline.platform, c.baseline.workload, c.baseline.mode, c.figure, c.baseline.kernel,
                     c.candidate.kernel, std::to_string(c.n_before), std::to_string(c.n_after), fmt::format("{:g}", c.before),
                     fmt::format("{:g}", c.before_max), fmt::format("{:g}", c.before_union), fmt::format("{:g}", c.after),
                     c.increase_pct ? fmt::format("{:.2f}", *c.increase_pct) : "",
                     c.noise_bound ? fmt::format("{:.2f}", *c.noise_bound) : "", yes(c.beyond_threshold),
                     yes(c.beyond_repetitions), yes(c.beyond_union), yes(c.regression), join(c.added), join(c.removed),
                     join(renames(c.renamed)), join(c.new_surface), c.new_surface_pct ? fmt::format("{:.2f}", *c.new_surface_pct) : "",
                     yes(c.beyond_new_surface)});
        // A baseline cell without candidate runs fails the check; CSV has no
        // row for it, so it is said on stderr.
        for (const auto& m : result->missing) std::cerr << "hapctl check: the candidate has no complete runs for " << m << "\n";
        return rc;
    }

    std::cout << fmt::format(
        "hap check: candidate {} against baseline {}; a cell fails when it {} by more than {:g}%{}\n", db, baseline,
        across_modes ? "differs (either way, across modes)" : "grows", max_increase,
        *fail_on == FailOn::Both          ? " and beyond both the repetitions' noise (Welch, 95%) and the baseline's union"
        : *fail_on == FailOn::Repetitions ? " and beyond the repetitions' noise (Welch, 95%)"
        : *fail_on == FailOn::Union       ? " and beyond the baseline's union"
        : *fail_on == FailOn::NewSurface  ? " in new surface (newly reached names that are no rename) as a share of the baseline's union; the mean is not asked"
                                          : " (--fail-on threshold: the baseline's spread is not asked)");
    TextTable t({"cell", "mode", "figure", "baseline kernel", "candidate kernel", "n", "baseline", "max", "union",
                 "candidate", "change", "> reps", "> union", "+names", "-names", "renamed", "new surface", "verdict"});
    for (const auto& c : result->cells)
        t.add({c.baseline.label(), c.baseline.mode == c.candidate.mode ? c.baseline.mode : c.baseline.mode + " -> " + c.candidate.mode, c.figure, c.baseline.kernel, c.candidate.kernel,
               fmt::format("{}/{}", c.n_before, c.n_after), fmt::format("{:.1f}", c.before), fmt::format("{:g}", c.before_max),
               fmt::format("{:g}", c.before_union), fmt::format("{:.1f}", c.after),
               c.increase_pct ? fmt::format("{:+.1f}%", *c.increase_pct) : "from 0",
               c.noise_bound ? fmt::format("{} (±{:.1f})", yes(c.beyond_repetitions), *c.noise_bound) : yes(c.beyond_repetitions),
               yes(c.beyond_union), std::to_string(c.added.size()), std::to_string(c.removed.size()), std::to_string(c.renamed.size()),
               c.new_surface_pct ? fmt::format("{} ({:.1f}%)", c.new_surface.size(), *c.new_surface_pct) : std::to_string(c.new_surface.size()),
               c.regression ? "REGRESSION" : c.beyond_threshold && c.after > c.before ? "ok (within noise)" : "ok"});
    t.print(std::cout);
    for (const auto& m : result->missing) std::cout << "MISSING: the candidate has no complete runs for " << m << "\n";
    // Every new name, for every cell: the list a kernel engineer reads first,
    // new surface apart from renames.
    for (const auto& c : result->cells) {
        if (c.added.empty()) continue;
        std::string names;
        for (const auto& n : c.new_surface) names += " " + n;
        std::cout << fmt::format("{} ({}): new surface, {} name(s):{}\n", c.baseline.label(), c.figure, c.new_surface.size(),
                                 names.empty() ? " -" : names);
        if (c.renamed.empty()) continue;
        std::string pairs;
        for (const auto& r : c.renamed) pairs += " " + r.before + "->" + r.after;
        std::cout << fmt::format("{} ({}): renamed, {} name(s):{}\n", c.baseline.label(), c.figure, c.renamed.size(), pairs);
    }
    {
        std::set<std::string> kernels;
        for (const auto& c : result->cells) kernels.insert({c.baseline.kernel, c.candidate.kernel});
        for (const auto& k : kernels)
            if (!maps.count(k))
                std::cout << "kernel " << k << " has no source map: no rename is told from new surface (`hapctl sources import`)\n";
    }
    if (result->passed()) {
        std::cout << "PASS: no cell regressed\n";
        return rc;
    }
    std::cout << "FAIL: the candidate widens the attack profile (see `hapctl diff " << baseline << " " << db << "`)\n";
    return rc;
}

}  // namespace hap::cli
