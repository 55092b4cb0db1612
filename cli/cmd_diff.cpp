// hapctl diff A B: what one run set reaches that another does not, on
// normalised names over the union of complete runs, grouped by MAINTAINERS
// section (or top directory) from each kernel's source map, with renames
// across kernels listed apart from new names. The sides are two databases, or two selections of one database
// (a selector given twice: --kernel OLD --kernel NEW).
#include <algorithm>
#include <iostream>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "open_store.h"
#include "options.h"
#include "set_diff.h"

namespace hap::cli {
namespace {

std::string joined(const std::vector<std::string>& names, size_t limit) {
    std::string s;
    for (size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? " " : "") + names[i];
    if (names.size() > limit) s += fmt::format(" ... ({} more)", names.size() - limit);
    return s;
}

}  // namespace

int cmd_diff(const std::vector<std::string>& args) {
    std::string db;
    std::vector<std::string> dbs, runtimes, platforms, workloads, kernels, modes;
    bool all_names = false;
    std::string by = "section";
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store when comparing two selections of one database")(
        "runtime", po::value(&runtimes)->composing(),
        "runtime or RUNTIME/PLATFORM (runsc/ptrace); given twice: first side, second side")(
        "platform", po::value(&platforms)->composing(), "platform; given twice: first side, second side")(
        "workload", po::value(&workloads)->composing(), "workload; given twice: first side, second side")(
        "kernel", po::value(&kernels)->composing(), "kernel release; given twice: first side, second side")(
        "mode", po::value(&modes)->composing(), "capture mode; given twice: first side, second side")(
        "all-names", po::bool_switch(&all_names), "list every name (default: 12 per group)")(
        "by", po::value(&by)->default_value("section"), "group by MAINTAINERS section, or by top directory (net/ipv4)")(
        "dbs", po::value(&dbs)->composing(), "");
    po::positional_options_description pos;
    pos.add("dbs", 2);
    po::variables_map vm;
    if (!parse_options("diff", "A.db B.db [selectors]  |  [--db DB] --kernel OLD --kernel NEW [selectors]", desc, args, vm, &pos))
        return 0;
    RunSelection a, b;
    bool twice = false;
    auto side = [&](const std::vector<std::string>& v, const char* name, std::string RunSelection::*field) {
        if (v.size() > 2) throw UserError(fmt::format("--{} given {} times", name, v.size()), "give it once (both sides) or twice (first, second)", kExitUsage);
        if (v.empty()) return;
        a.*field = v.front();
        b.*field = v.back();
        twice = twice || v.size() == 2;
    };
    side(runtimes, "runtime", &RunSelection::runtime);
    side(platforms, "platform", &RunSelection::platform);
    // runsc/ptrace names a runtime and its platform, as compare's --runtimes does.
    for (RunSelection* s : {&a, &b})
        if (auto slash = s->runtime.find('/'); slash != std::string::npos) {
            if (!s->platform.empty() && s->platform != s->runtime.substr(slash + 1))
                throw UserError("--runtime " + s->runtime + " names platform " + s->runtime.substr(slash + 1) + ", --platform " +
                                    s->platform, "give the platform once", kExitUsage);
            s->platform = s->runtime.substr(slash + 1);
            s->runtime.resize(slash);
        }
    side(workloads, "workload", &RunSelection::workload);
    side(kernels, "kernel", &RunSelection::kernel);
    side(modes, "mode", &RunSelection::mode);
    if (dbs.size() == 1) throw UserError("diff needs two databases, or one with a selector given twice",
                                         "hapctl diff A.db B.db, or hapctl diff --db DB --kernel OLD --kernel NEW", kExitUsage);
    if (dbs.empty() && !twice)
        throw UserError("diff of one database needs a selector given twice", "e.g. --kernel 6.1.0-28-amd64 --kernel 6.12.9-amd64", kExitUsage);
    if (by != "section" && by != "directory")
        throw UserError("--by must be section or directory, not '" + by + "'", "", kExitUsage);
    const std::string path_a = dbs.empty() ? db : dbs[0], path_b = dbs.empty() ? db : dbs[1];
    auto store_a = open_existing_store(path_a);
    auto runs_a = load_run_sets(*store_a, a);
    if (!runs_a) throw UserError(runs_a.error().describe());
    std::unique_ptr<Store> store_b = path_b == path_a ? nullptr : open_existing_store(path_b);
    auto runs_b = load_run_sets(store_b ? *store_b : *store_a, b);
    if (!runs_b) throw UserError(runs_b.error().describe());
    // Each side's names are placed by its own kernel's map, read from its own database.
    SourceMaps maps;
    std::vector<std::string> no_map;
    for (auto [store, runs] : {std::pair{store_a.get(), &*runs_a}, std::pair{store_b ? store_b.get() : store_a.get(), &*runs_b}}) {
        std::vector<std::string> releases;
        for (const auto& r : *runs) releases.push_back(r.run.kernel_release);
        auto loaded = load_source_maps(*store, releases);
        if (!loaded) throw UserError(loaded.error().describe());
        for (auto& [k, m] : *loaded) maps.emplace(k, std::move(m));
        for (const auto& k : releases)
            if (!maps.count(k) && std::find(no_map.begin(), no_map.end(), k) == no_map.end()) no_map.push_back(k);
    }
    auto diffs = diff_run_sets(*runs_a, *runs_b, maps);
    if (!diffs) throw UserError(diffs.error().describe(), "narrow each side with --mode, --runtime, --workload or --kernel");
    std::cout << fmt::format("first:  {} ({} complete runs)\nsecond: {} ({} complete runs)\nmode:   {}\n", path_a,
                             runs_a->size(), path_b, runs_b->size(), runs_a->front().run.mode);
    for (const auto& [k, m] : maps) std::cout << fmt::format("source map {}: {}\n", k, m.description());
    for (const auto& k : no_map)
        std::cout << fmt::format("source map {}: none, its names are unmapped (scripts/sources/build-table, then `hapctl sources "
                                 "import FILE.csv --kernel {}`)\n", k, k);
    for (const auto& d : *diffs) {
        std::cout << fmt::format("\n{}: {} -> {} distinct {} names (+{} new, -{} gone{})\n", d.figure, d.before, d.after, d.kind,
                                 d.added(), d.removed(), d.renamed.empty() ? "" : fmt::format(", {} renamed", d.renamed.size()));
        const size_t limit = all_names ? SIZE_MAX : 12;
        const auto& groups = by == "directory" ? d.by_directory : d.by_subsystem;
        // Largest change first: that is where a reader looks.
        std::vector<std::pair<std::string, const SubsystemChange*>> order;
        for (const auto& [sub, change] : groups) order.emplace_back(sub, &change);
        std::stable_sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
            return x.second->added.size() + x.second->removed.size() > y.second->added.size() + y.second->removed.size();
        });
        for (const auto& [sub, cp] : order) {
            const SubsystemChange& change = *cp;
            std::cout << fmt::format("  {:<40} +{:<4} -{:<4}\n", sub, change.added.size(), change.removed.size());
            if (!change.added.empty()) std::cout << "      + " << joined(change.added, limit) << "\n";
            if (!change.removed.empty()) std::cout << "      - " << joined(change.removed, limit) << "\n";
        }
        if (!d.renamed.empty()) {
            std::cout << fmt::format("  renamed ({}): the same function under a new name (same file; a known suffix or the "
                                     "same place among the file's functions, next to a neighbour that kept its name)\n", d.renamed.size());
            for (size_t i = 0; i < d.renamed.size() && i < limit; ++i) {
                const auto& r = d.renamed[i];
                std::cout << fmt::format("      {} -> {}  ({}, {})\n", r.before, r.after, r.file, r.rule);
            }
            if (d.renamed.size() > limit) std::cout << fmt::format("      ... ({} more)\n", d.renamed.size() - limit);
        }
    }
    return 0;
}

}  // namespace hap::cli
