// hapctl chart: grouped bars of a HAP figure per workload and runtime with
// error bars, the figure against throughput, HAP_fn by role and by
// MAINTAINERS section, through gnuplot (PNG + SVG), with the .dat and .gp
// beside each image for restyling.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cell_figures.h"
#include "chart_files.h"
#include "command.h"
#include "files.h"
#include "open_store.h"
#include "options.h"
#include "process.h"
#include "source_map.h"

namespace hap::cli {
namespace {

void render(const ChartFiles& f) {
    const auto dir = std::filesystem::path(f.gp).parent_path();
    auto r = run_command({"gnuplot", "-e", "cd '" + (dir.empty() ? std::string(".") : dir.string()) + "'",
                          std::filesystem::path(f.gp).filename().string()});
    if (!r) throw UserError("cannot run gnuplot: " + r.error().describe(), "install gnuplot-nox (scripts/setup does)");
    if (!r->succeeded()) throw UserError("gnuplot failed on " + f.gp + ": " + r->summary());
    std::cout << fmt::format("chart: {} and {} (data {}, script {})\n", f.png, f.svg, f.dat, f.gp);
    if (!f.note.empty()) std::cout << "       " << f.note << "\n";
}

}  // namespace

int cmd_chart(const std::vector<std::string>& args) {
    std::string db, out, errors;
    RunSelection sel;
    ChartSpec spec;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "out,o", po::value(&out)->default_value("hap"), "path prefix: writes PREFIX-bars.*, PREFIX-tradeoff.*, (hap_fn, hap_sys) PREFIX-roles.* and, where the kernel has a "
        "source map (`hapctl sources`), PREFIX-subsystems.*")(
        "figure", po::value(&spec.figure), "hap_fn, hap_sys, hap_hc, backend or hap_cc (default: hap_fn if captured, else hap_sys)")(
        "errors", po::value(&errors)->default_value("ci"), "error bars: ci (95%, t), sd or minmax")(
        "runtime", po::value(&sel.runtime), "only this runtime")("workload", po::value(&sel.workload), "only this workload")(
        "kernel", po::value(&sel.kernel), "only runs on this kernel release")(
        "mode", po::value(&sel.mode), "only runs of this capture mode");
    po::variables_map vm;
    if (!parse_options("chart", "[--out PREFIX] [options]", desc, args, vm)) return 0;
    if (errors == "ci") spec.errors = ErrorBars::ci95;
    else if (errors == "sd") spec.errors = ErrorBars::sd;
    else if (errors == "minmax") spec.errors = ErrorBars::minmax;
    else throw UserError("unknown --errors '" + errors + "'", "use ci, sd or minmax", kExitUsage);
    if (!find_program("gnuplot")) throw UserError("gnuplot not found", "install gnuplot-nox (scripts/setup does)");
    auto store = open_existing_store(db);
    auto cells = load_cells(*store, sel, spec.figure == "hap_cc");
    if (!cells) throw UserError(cells.error().describe(), spec.figure == "hap_cc" ? "import one with `hapctl complexity import`" : "");
    if (cells->empty()) throw UserError("no complete runs in " + db + " to chart", "measure first, or widen the selection");
    if (!vm.count("figure")) {
        spec.figure = "hap_sys";
        for (const auto& c : *cells)
            if (c.figure("hap_fn")) spec.figure = "hap_fn";
    }
    spec.prefix = out;
    const auto parent = std::filesystem::path(out).parent_path();
    if (!parent.empty())
        if (auto st = make_dirs(parent.string()); !st) throw UserError(st.error().describe());
    auto bars = write_bar_chart(*cells, spec);
    if (!bars) throw UserError(bars.error().describe(), "select runs with --kernel, --mode, --runtime or --workload");
    render(*bars);
    auto trade = write_tradeoff_chart(*cells, spec);
    if (!trade) throw UserError(trade.error().describe());
    render(*trade);
    if (spec.figure == "hap_fn" || spec.figure == "hap_sys") {
        auto roles = write_role_chart(*cells, spec);
        if (!roles) throw UserError(roles.error().describe());
        render(*roles);
    }
    bool functions = false;
    for (const auto& c : *cells) functions = functions || c.figure("hap_fn");
    if (functions) {
        std::vector<std::string> releases;
        for (const auto& c : *cells) releases.push_back(c.key.kernel);
        auto maps = load_source_maps(*store, releases);
        if (!maps) throw UserError(maps.error().describe());
        auto subsystems = write_subsystem_chart(*cells, spec, *maps);
        if (subsystems) render(*subsystems);
        else std::cout << "no subsystem chart: " << subsystems.error().describe() << " (`hapctl sources import`)\n";
    }
    return 0;
}

}  // namespace hap::cli
