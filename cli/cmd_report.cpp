// hapctl report: the HAP figures per cell (runtime x platform x workload x
// kernel x mode) over the complete runs: n, mean, sd, min, max, 95% CI, union;
// with --by subsystem|directory, each cell's functions and syscalls grouped by
// MAINTAINERS section or top directory (the kernel's source map).
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "files.h"
#include "open_store.h"
#include "options.h"
#include "run_summary.h"
#include "source_map.h"
#include "subsystem_view.h"
#include "text_table.h"

namespace hap::cli {
namespace {

std::string fixed(double v) { return fmt::format("{:.1f}", v); }
std::string opt_fixed(const std::optional<double>& v) { return v ? fixed(*v) : "-"; }

std::vector<std::string> stat_fields(const Stat& s) {
    return {std::to_string(s.n), fixed(s.mean), opt_fixed(s.sd), fmt::format("{:g}", s.min), fmt::format("{:g}", s.max),
            s.ci_low ? fmt::format("{:.1f}..{:.1f}", *s.ci_low, *s.ci_high) : "-"};
}

void print_markdown(std::ostream& out, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    auto line = [&](const std::vector<std::string>& r) {
        out << "|";
        for (const auto& c : r) out << " " << c << " |";
        out << "\n";
    };
    line(header);
    out << "|";
    for (size_t i = 0; i < header.size(); ++i) out << (i < 5 ? " --- |" : " ---: |");
    out << "\n";
    for (const auto& r : rows) line(r);
}

// The report's rows as a markdown table or as aligned text.
void print_rows(const std::string& format, const std::vector<std::string>& header, std::vector<std::vector<std::string>>& rows) {
    if (format == "markdown") {
        print_markdown(std::cout, header, rows);
        return;
    }
    TextTable t(header);
    for (auto& r : rows) t.add(r);
    t.print(std::cout);
}

int report_by(Store& store, const std::vector<Cell>& cells, const std::string& by, const std::string& format, const std::string& db) {
    if (by != "subsystem" && by != "directory")
        throw UserError("--by must be subsystem or directory, not '" + by + "'", "", kExitUsage);
    std::vector<std::string> releases;
    for (const auto& c : cells) releases.push_back(c.key.kernel);
    auto maps = load_source_maps(store, releases);
    if (!maps) throw UserError(maps.error().describe());
    const std::vector<std::string> header = {"runtime", "workload", "kernel", "mode", "figure", by, "names", "of union"};
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : cells) {
        const std::string rt = c.key.runtime + (c.key.platform.empty() ? "" : "/" + c.key.platform);
        auto map = maps->find(c.key.kernel);
        for (const auto& [fig, kind] : {std::pair{"hap_fn", "function"}, std::pair{"hap_sys", "syscall"}}) {
            auto u = c.unions.find(fig);
            if (u == c.unions.end() || u->second.empty()) continue;
            for (const auto& g : group_names(u->second, kind, map == maps->end() ? nullptr : &map->second, by == "directory"))
                rows.push_back({rt, c.key.workload, c.key.kernel, c.key.mode, fig, g.group, std::to_string(g.names.size()),
                                fmt::format("{:.1f}%", 100.0 * g.names.size() / u->second.size())});
        }
    }
    if (rows.empty()) throw UserError("the selected runs reached no functions or syscalls", "");
    print_rows(format, header, rows);
    std::cout << "names: distinct names over the cell's complete runs (union); " << kUnmapped
              << ": the source map has no definition of the name; " << kAmbiguous
              << ": defined in several files of different " << (by == "directory" ? "directories" : "sections") << "\n";
    std::set<std::string> said;
    for (const auto& k : releases) {
        if (!said.insert(k).second) continue;
        auto m = maps->find(k);
        if (m != maps->end()) std::cout << "source map " << k << ": " << m->second.description() << "\n";
        else std::cout << "source map " << k << ": none in " << db << ", every name unmapped (scripts/sources/build-table, `hapctl sources import`)\n";
    }
    return 0;
}

}  // namespace

int cmd_report(const std::vector<std::string>& args) {
    std::string db, format;
    RunSelection sel;
    bool roles = false, cc = false;
    std::string list, by;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "format,f", po::value(&format)->default_value("text"), "text or markdown")(
        "runtime", po::value(&sel.runtime), "only this runtime")("workload", po::value(&sel.workload), "only this workload")(
        "kernel", po::value(&sel.kernel), "only runs on this kernel release")(
        "mode", po::value(&sel.mode), "only runs of this capture mode (e.g. syscalls,kvm)")(
        "roles", po::bool_switch(&roles), "also one row per role (workload, runtime, vmm, vcpu, backend, unknown)")(
        "cc", po::bool_switch(&cc), "also HAP_cc, from the kernel's complexity table (see `hapctl complexity`)")(
        "by", po::value(&by), "instead of the figures: each cell's functions and syscalls (union over its runs) by subsystem "
                              "(MAINTAINERS section) or directory (net/ipv4), from the kernel's source map (`hapctl sources`)")(
        "list", po::value(&list), "after the table, the names behind figures, per cell: a comma list of hap_hc, pio, mmio, "
                                  "backend, hap_sys, hap_fn:vmm, ... (union over the cell's runs)");
    po::variables_map vm;
    if (!parse_options("report", "[--format text|markdown] [options]", desc, args, vm)) return 0;
    if (format != "text" && format != "markdown")
        throw UserError("unknown format '" + format + "'", "use --format text or markdown", kExitUsage);
    auto store = open_existing_store(db);
    auto cells = load_cells(*store, sel, cc);
    if (!cells)
        throw UserError(cells.error().describe(),
                        cc ? "import one with `hapctl complexity import FILE.csv --kernel RELEASE` (scripts/complexity/build-table makes it)" : "");
    if (cells->empty()) throw UserError("no complete runs in " + db + (vm.count("runtime") || vm.count("workload") || vm.count("kernel") || vm.count("mode") ? " match the selection" : ""),
                                        "measure first (`hapctl measure` or `hapctl compare`), or widen the selection");
    if (cc) {
        bool any = false;
        for (const auto& c : *cells) any = any || c.figure("hap_cc");
        if (!any) throw UserError("HAP_cc needs function-level runs (mode function, function_graph or function_retire); the selected runs have none",
                                  "measure in the lab (`hapctl lab`), or drop --cc");
    }
    if (!by.empty()) return report_by(*store, *cells, by, format, db);
    const std::vector<std::string> header = {"runtime", "workload", "kernel", "mode", "figure", "n", "mean", "sd",
                                             "min", "max", "95% CI", "union", "of traceable"};
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : *cells) {
        const std::string rt = c.key.runtime + (c.key.platform.empty() ? "" : "/" + c.key.platform);
        auto add = [&](const std::string& name, const Stat& s, const std::string& uni, const std::string& share) {
            std::vector<std::string> r = {rt, c.key.workload, c.key.kernel, c.key.mode, name};
            for (auto& f : stat_fields(s)) r.push_back(f);
            r.push_back(uni);
            r.push_back(share);
            rows.push_back(std::move(r));
        };
        for (const auto& fig : headline_figures()) {
            const FigureStat* f = c.figure(fig);
            if (!f) continue;
            std::string share = "-";
            if (fig == c.traceable_share_figure() && c.traceable_share()) share = fmt::format("{:.2f}%", *c.traceable_share() * 100);
            add(fig, f->stat, std::to_string(f->union_count), share);
            if (!roles || fig == "hap_cc" || fig == "backend") continue;
            for (const auto& [name, fs] : c.figures)
                // unknown: records of no traced task (the switch away from one), never counted.
                if (name.rfind(fig + ":", 0) == 0 && name != fig + ":unknown" && fs.stat.max > 0) add("  " + name, fs.stat, std::to_string(fs.union_count), "-");
        }
        const std::string unit = c.throughput_unit.empty() ? "" : " (" + c.throughput_unit + ")";
        if (c.throughput) add("throughput traced" + unit, *c.throughput, "-", "-");
        if (c.throughput_untraced) add("throughput untraced" + unit, *c.throughput_untraced, "-", "-");
    }
    print_rows(format, header, rows);
    std::cout << fmt::format("{} cell(s), complete runs only; 95% CI from Student's t (n >= 2); union: distinct names over the repetitions\n",
                             cells->size());
    // Two counts of functions exist (DESIGN.md, "Symbols across kernels"):
    // say which is which wherever they are shown.
    bool any_functions = false;
    for (const auto& c : *cells) any_functions = any_functions || c.figure("hap_fn");
    if (any_functions)
        std::cout << kHapFnCounts << "; of traceable is hap_fn_raw's\n";
    bool any_not_applicable = false;
    for (const auto& c : *cells) any_not_applicable = any_not_applicable || (c.figure("hap_fn") && !c.figure("backend"));
    if (any_not_applicable)
        std::cout << "a figure missing from a cell does not apply to it (e.g. backend: the sandbox has no backend task), or its mode "
                     "did not capture it; 0 means measured and nothing reached\n";
    // Syscalls whose entry ABI nothing told (no entry-path record, program
    // unread) are stored by number, never named from a guessed table.
    for (const auto& c : *cells) {
        auto it = c.unions.find("hap_sys");
        if (it == c.unions.end()) continue;
        std::string unknown;
        for (const auto& n : it->second)
            if (n.rfind("unknown:", 0) == 0) unknown += (unknown.empty() ? "" : " ") + n;
        if (!unknown.empty())
            std::cout << fmt::format("{}: hap_sys counts syscalls of unknown ABI by number ({}): neither an entry-path "
                                     "record nor the task's program said which table names them\n",
                                     c.key.label(), unknown);
    }
    // `trace` runs counted in a window (--delay, --duration, SIGUSR1) say so:
    // their figures leave the command's start-up or end out. The cell key
    // does not include the window, so mixed windows are named too.
    for (const auto& c : *cells) {
        RunFilter ids;
        ids.ids = c.run_ids;
        auto runs = store->runs(ids);
        if (!runs) throw UserError(runs.error().describe());
        std::set<std::string> notes;
        for (const auto& r : *runs) notes.insert(window_note(r.settings_json));
        if (notes.size() == 1 && notes.begin()->empty()) continue;
        std::string joined_notes;
        for (const auto& n : notes) joined_notes += (joined_notes.empty() ? "" : "; ") + (n.empty() ? "whole run" : n);
        std::cout << fmt::format("{}: {} {}\n", c.key.label(), notes.size() == 1 ? "window" : "windows differ across its runs:",
                                 joined_notes);
    }
    for (const auto& name : split(list, ',')) {
        if (trim(name).empty()) continue;
        for (const auto& c : *cells) {
            auto it = c.unions.find(trim(name));
            if (it == c.unions.end()) continue;
            std::string names;
            for (const auto& n : it->second) names += (names.empty() ? "" : " ") + n;
            std::cout << fmt::format("{} {} ({}): {}\n", c.key.label(), trim(name), it->second.size(), names.empty() ? "-" : names);
        }
    }
    return 0;
}

}  // namespace hap::cli
