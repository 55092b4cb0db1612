#include "chart_files.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "files.h"
#include "subsystem_view.h"

namespace hap {
namespace {

std::string figure_title(const std::string& fig) {
    if (fig == "hap_fn") return "HAP_fn: unique host kernel functions";
    if (fig == "hap_sys") return "HAP_sys: unique host syscalls";
    if (fig == "hap_hc") return "HAP_hc: unique hypercalls + VM exit reasons";
    if (fig == "hap_cc") return "HAP_cc: summed cyclomatic complexity";
    if (fig == "backend") return "backend: unique functions of backend tasks";
    return fig;
}

const char* errors_name(ErrorBars e) {
    return e == ErrorBars::ci95 ? "95% CI" : e == ErrorBars::sd ? "±1 sd" : "min..max";
}

std::pair<double, double> error_range(const Stat& s, ErrorBars e) {
    if (e == ErrorBars::minmax) return {s.min, s.max};
    if (e == ErrorBars::sd) return s.sd ? std::pair{s.mean - *s.sd, s.mean + *s.sd} : std::pair{s.mean, s.mean};
    return s.ci_low ? std::pair{*s.ci_low, *s.ci_high} : std::pair{s.mean, s.mean};
}

std::string runtime_label(const CellKey& k) { return k.runtime + (k.platform.empty() ? "" : "/" + k.platform); }

std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? '\'' : c;
    return q + "\"";
}

// The cells that have the figure; they must share one kernel and one mode.
Expected<std::vector<const Cell*>> chart_cells(const std::vector<Cell>& cells, const std::string& fig,
                                               std::string& kernel, std::string& mode) {
    std::vector<const Cell*> out;
    std::set<std::string> kernels, modes;
    for (const auto& c : cells) {
        if (!c.figure(fig)) continue;
        out.push_back(&c);
        kernels.insert(c.key.kernel);
        modes.insert(c.key.mode);
    }
    if (out.empty()) return Error{"no complete run has the figure " + fig};
    if (kernels.size() > 1) return Error{"the runs span " + std::to_string(kernels.size()) + " kernels; chart one with --kernel"};
    if (modes.size() > 1) return Error{"the runs were captured in " + std::to_string(modes.size()) + " different modes; chart one with --mode"};
    kernel = *kernels.begin();
    mode = *modes.begin();
    return out;
}

ChartFiles files_for(const std::string& prefix, const std::string& name) {
    const std::string base = prefix + "-" + name;
    return {base + ".dat", base + ".gp", base + ".png", base + ".svg", ""};
}

std::string base_name(const std::string& p) { return std::filesystem::path(p).filename().string(); }

std::string terminals(const ChartFiles& f, const std::string& plot) {
    // The script runs from its own directory, so paths in it are bare names.
    return fmt::format(
        "set terminal pngcairo size 1100,600 font \"sans,11\" noenhanced\nset output \"{}\"\n{}"
        "set terminal svg size 1100,600 font \"sans,11\" noenhanced dynamic\nset output \"{}\"\nreplot\nunset output\n",
        base_name(f.png), plot, base_name(f.svg));
}

Status write_pair(const ChartFiles& f, const std::string& dat, const std::string& gp) {
    if (auto st = write_file(f.dat, dat); !st) return st;
    return write_file(f.gp, gp);
}

}  // namespace

std::string bar_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec) {
    std::vector<std::string> workloads, runtimes;
    std::map<std::pair<std::string, std::string>, const Cell*> at;
    for (const auto& c : cells) {
        if (!c.figure(spec.figure)) continue;
        const std::string rt = runtime_label(c.key);
        if (std::find(workloads.begin(), workloads.end(), c.key.workload) == workloads.end()) workloads.push_back(c.key.workload);
        if (std::find(runtimes.begin(), runtimes.end(), rt) == runtimes.end()) runtimes.push_back(rt);
        at[{c.key.workload, rt}] = &c;
    }
    std::string dat = fmt::format("# {} (mean, then {} low and high), columns per runtime; n per cell in the comment\nworkload", spec.figure, errors_name(spec.errors));
    for (const auto& rt : runtimes) dat += " " + quoted(rt) + " low high";
    dat += "\n";
    for (const auto& w : workloads) {
        dat += quoted(w);
        std::string ns;
        for (const auto& rt : runtimes) {
            auto it = at.find({w, rt});
            if (it == at.end()) {
                dat += " ? ? ?";
                ns += " -";
                continue;
            }
            const Stat& s = it->second->figure(spec.figure)->stat;
            auto [lo, hi] = error_range(s, spec.errors);
            dat += fmt::format(" {:.3f} {:.3f} {:.3f}", s.mean, lo, hi);
            ns += " " + std::to_string(s.n);
        }
        dat += "  # n:" + ns + "\n";
    }
    return dat;
}

Expected<ChartFiles> write_bar_chart(const std::vector<Cell>& cells, const ChartSpec& spec) {
    std::string kernel, mode;
    auto chosen = chart_cells(cells, spec.figure, kernel, mode);
    if (!chosen) return chosen.error();
    std::set<std::string> runtimes;
    for (const Cell* c : *chosen) runtimes.insert(runtime_label(c->key));
    const ChartFiles f = files_for(spec.prefix, "bars");
    const std::string plot = fmt::format(
        "set title \"{} (mean, error bars {})\\nLinux {}, mode {}\"\n"
        "set datafile missing \"?\"\n"
        "set style data histograms\n"
        "set style histogram errorbars gap 1 lw 1.5\n"
        "set style fill solid 0.75 border -1\n"
        "set key outside right top\n"
        "set grid ytics\nset yrange [0:*]\nset offsets 0, 0, graph 0.12, 0\nset xtics nomirror\nset ylabel \"{}\"\n"
        "plot for [i=0:{}] \"{}\" using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) title columnheader(2+3*i)\n",
        figure_title(spec.figure), errors_name(spec.errors), kernel, mode, spec.figure, runtimes.size() - 1, base_name(f.dat));
    if (auto st = write_pair(f, bar_chart_data(cells, spec), terminals(f, plot)); !st) return st.error();
    return f;
}

// Which throughput a tradeoff point stands on: the untraced one where the
// cell has it (the runtime's own speed), else the traced one (the tracer's
// cost included), marked in the label so a reader never mixes them up.
// nullptr: the cell has neither.
namespace {
const Stat* plotted_throughput(const Cell& c) {
    return c.throughput_untraced ? &*c.throughput_untraced : c.throughput ? &*c.throughput : nullptr;
}
}  // namespace

TradeoffAxis tradeoff_axis(const std::vector<const Cell*>& cells) {
    int untraced = 0, traced = 0;
    for (const Cell* c : cells) {
        if (!plotted_throughput(*c)) continue;
        ++(c->throughput_untraced ? untraced : traced);
    }
    if (untraced > 0 && traced == 0) return {"untraced throughput", "the same load in a fresh sandbox, nothing traced"};
    if (untraced == 0) return {"throughput while traced", "no cell has an untraced baseline: the tracer's cost is included"};
    return {"throughput: untraced, or while traced where the label says (traced)",
            std::to_string(traced) + " cell(s) have no untraced baseline and plot the traced figure"};
}

namespace {
std::string tradeoff_rows(const std::vector<const Cell*>& cells, const ChartSpec& spec) {
    std::string dat = fmt::format("# cell, throughput mean, low, high, {} mean, low, high ({}); throughput untraced where the "
                                  "cell has it, else traced (label says so)\n",
                                  spec.figure, errors_name(spec.errors));
    for (const Cell* c : cells) {
        const FigureStat* fig = c->figure(spec.figure);
        const Stat* tp = plotted_throughput(*c);
        if (!fig || !tp) continue;
        auto [tlo, thi] = error_range(*tp, spec.errors);
        auto [hlo, hhi] = error_range(fig->stat, spec.errors);
        const std::string label = c->key.label() + (c->throughput_untraced ? "" : " (traced)");
        dat += fmt::format("{} {:.3f} {:.3f} {:.3f} {:.3f} {:.3f} {:.3f}\n", quoted(label), tp->mean, tlo, thi, fig->stat.mean,
                           hlo, hhi);
    }
    return dat;
}
}  // namespace

std::string tradeoff_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec) {
    std::vector<const Cell*> ptrs;
    for (const auto& c : cells) ptrs.push_back(&c);
    return tradeoff_rows(ptrs, spec);
}

Expected<ChartFiles> write_tradeoff_chart(const std::vector<Cell>& cells, const ChartSpec& spec) {
    std::string kernel, mode;
    auto chosen = chart_cells(cells, spec.figure, kernel, mode);
    if (!chosen) return chosen.error();
    std::string unit;
    std::vector<const Cell*> plotted;
    for (const Cell* c : *chosen) {
        if (!plotted_throughput(*c)) continue;
        unit = c->throughput_unit;
        plotted.push_back(c);
    }
    if (plotted.empty()) return Error{"no complete run with " + spec.figure + " recorded a throughput"};
    const TradeoffAxis axis = tradeoff_axis(plotted);
    // Sandboxes differ in speed by orders of magnitude (gVisor under TCG
    // serves tens of requests/s where runc serves thousands): a linear axis
    // piles the slow ones on the y axis. A log axis then, unless a cell
    // served nothing (it could not be drawn); an error bar whose low end
    // falls to 0 or below runs to the axis's left edge.
    double lo = 0, hi = 0;
    bool all_positive = true;
    for (const Cell* c : plotted) {
        const double x = plotted_throughput(*c)->mean;
        all_positive = all_positive && x > 0;
        lo = lo == 0 ? x : std::min(lo, x);
        hi = std::max(hi, x);
    }
    const bool log_x = all_positive && hi / lo > 10;
    const double x_min = lo / 4;
    ChartFiles f = files_for(spec.prefix, "tradeoff");
    f.note = "x axis: " + axis.name + " (" + axis.why + ")";
    const std::string plot = fmt::format(
        "set title \"Security against performance: {} vs {} (error bars {})\\nLinux {}, mode {}\"\n"
        "set xlabel \"{} ({}), higher is faster\"\nset ylabel \"{}, lower is a smaller attack profile\"\n"
        "set grid\n{}set yrange [0:*]\nset offsets 0, graph 0.15, graph 0.1, 0\nunset key\n"
        "plot \"{}\" using 2:5:{}:4:6:7 with xyerrorbars pt 7 ps 1.2 lc rgb \"#4477aa\", \\\n"
        "     \"\" using 2:5:1 with labels offset 0,1.2 font \",10\"\n",
        spec.figure, axis.name, errors_name(spec.errors), kernel, mode, axis.name,
        (unit.empty() ? std::string("per second") : unit) + (log_x ? ", log scale" : ""), spec.figure,
        log_x ? fmt::format("set logscale x\nset xrange [{}:{}]\n", x_min, hi * 4) : std::string("set xrange [0:*]\n"),
        base_name(f.dat), log_x ? fmt::format("($3 > {0} ? $3 : {0})", x_min) : std::string("3"));
    if (auto st = write_pair(f, tradeoff_rows(plotted, spec), terminals(f, plot)); !st) return st.error();
    return f;
}

namespace {
const std::vector<std::string> kStackRoles = {"workload", "runtime", "vmm", "vcpu", "backend"};
}

std::string role_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec) {
    std::string dat = fmt::format(
        "# {} per role, mean over the cell's runs: what that role alone reached, and in \"shared\" what two or more roles "
        "reached, so a bar is the cell's {}; 0 also where the sandbox has no such role\ncell",
        spec.figure, spec.figure);
    for (const auto& r : kStackRoles) dat += " " + r;
    dat += std::string(" ") + kSharedSegment + "\n";
    for (const auto& c : cells) {
        if (!c.figure(spec.figure)) continue;
        dat += quoted(c.key.label());
        auto stack = c.role_stacks.find(spec.figure);
        auto mean = [&](const std::string& seg) {
            if (stack == c.role_stacks.end()) return 0.0;
            auto it = stack->second.find(seg);
            return it == stack->second.end() ? 0.0 : it->second.mean;
        };
        for (const auto& r : kStackRoles) dat += fmt::format(" {:.3f}", mean(r));
        dat += fmt::format(" {:.3f}\n", mean(kSharedSegment));
    }
    return dat;
}

Expected<ChartFiles> write_role_chart(const std::vector<Cell>& cells, const ChartSpec& spec) {
    if (spec.figure != "hap_fn" && spec.figure != "hap_sys") return Error{"only hap_fn and hap_sys have figures per role"};
    std::string kernel, mode;
    auto chosen = chart_cells(cells, spec.figure, kernel, mode);
    if (!chosen) return chosen.error();
    const ChartFiles f = files_for(spec.prefix, "roles");
    const std::string plot = fmt::format(
        "set title \"{} by role (mean; a name two roles reached counts once, as shared)\\nLinux {}, mode {}\"\n"
        "set style data histograms\nset style histogram rowstacked\nset boxwidth 0.7\n"
        "set style fill solid 0.8 border -1\nset key outside right top\nset grid ytics\nset yrange [0:*]\n"
        "set xtics nomirror rotate by -30\nset ylabel \"{} per role\"\n"
        "plot for [i=2:{}] \"{}\" using i:xtic(1) title columnheader(i), \\\n"
        "     \"\" using {}:xtic(1) title columnheader({}) lc rgb \"#999999\" fillstyle pattern 4 border -1\n",
        figure_title(spec.figure), kernel, mode, spec.figure, kStackRoles.size() + 1, base_name(f.dat), kStackRoles.size() + 2,
        kStackRoles.size() + 2);
    if (auto st = write_pair(f, role_chart_data(cells, spec), terminals(f, plot)); !st) return st.error();
    return f;
}

namespace {

// Each cell's function union by section, and the `top` sections by names over all cells.
struct SectionCounts {
    std::vector<std::pair<std::string, std::map<std::string, size_t>>> rows;  // cell label -> section -> names
    std::vector<std::string> top;
};

SectionCounts section_counts(const std::vector<Cell>& cells, const SourceMap& map, size_t top) {
    SectionCounts out;
    std::map<std::string, size_t> totals;
    for (const auto& c : cells) {
        auto u = c.unions.find("hap_fn");
        if (u == c.unions.end()) continue;
        std::map<std::string, size_t> counts;
        for (const auto& g : group_names(u->second, "function", &map, false)) {
            counts[g.group] = g.names.size();
            if (g.group != kUnmapped && g.group != kAmbiguous) totals[g.group] += g.names.size();
        }
        out.rows.emplace_back(c.key.label(), std::move(counts));
    }
    std::vector<std::pair<std::string, size_t>> order(totals.begin(), totals.end());
    std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    for (size_t i = 0; i < order.size() && i < top; ++i) out.top.push_back(order[i].first);
    return out;
}

}  // namespace

std::string subsystem_chart_data(const std::vector<Cell>& cells, const SourceMap& map, size_t top) {
    const SectionCounts sc = section_counts(cells, map, top);
    std::string dat = "# hap_fn by MAINTAINERS section: distinct names over the cell's runs (union); " + map.description() + "\ncell";
    for (const auto& sec : sc.top) dat += " " + quoted(sec);
    dat += " \"other sections\" ambiguous unmapped\n";
    for (const auto& [label, counts] : sc.rows) {
        auto get = [&](const std::string& k) {
            auto it = counts.find(k);
            return it == counts.end() ? size_t{0} : it->second;
        };
        size_t shown = 0, all = 0;
        for (const auto& [sec, n] : counts)
            if (sec != kUnmapped && sec != kAmbiguous) all += n;
        dat += quoted(label);
        for (const auto& sec : sc.top) {
            shown += get(sec);
            dat += fmt::format(" {}", get(sec));
        }
        dat += fmt::format(" {} {} {}\n", all - shown, get(kAmbiguous), get(kUnmapped));
    }
    return dat;
}

Expected<ChartFiles> write_subsystem_chart(const std::vector<Cell>& cells, const ChartSpec& spec, const SourceMaps& maps, size_t top) {
    std::string kernel, mode;
    auto chosen = chart_cells(cells, "hap_fn", kernel, mode);
    if (!chosen) return chosen.error();
    auto map = maps.find(kernel);
    if (map == maps.end()) return Error{"kernel " + kernel + " has no source map, so its functions have no section"};
    std::vector<Cell> plotted;
    for (const Cell* c : *chosen) plotted.push_back(*c);
    const size_t sections = section_counts(plotted, map->second, top).top.size();
    const ChartFiles f = files_for(spec.prefix, "subsystems");
    // Twelve colours told apart (Paul Tol's muted and bright schemes):
    // gnuplot's own cycle repeats after eight.
    std::string colours;
    const char* palette[] = {"#332288", "#88ccee", "#44aa99", "#117733", "#999933", "#ddcc77",
                             "#cc6677", "#882255", "#aa4499", "#4477aa", "#ee6677", "#228833"};
    for (size_t i = 0; i < 12; ++i) colours += fmt::format("set linetype {} lc rgb \"{}\"\n", i + 1, palette[i]);
    // Columns: cell, the top sections, other sections, ambiguous, unmapped.
    const std::string plot = colours + fmt::format(
        "set title \"HAP_fn by MAINTAINERS section (distinct functions over the cell's runs)\\nLinux {}, mode {}\"\n"
        "set style data histograms\nset style histogram rowstacked\nset boxwidth 0.7\n"
        "set style fill solid 0.8 border -1\nset key outside right top font \",9\"\nset grid ytics\nset yrange [0:*]\n"
        "set xtics nomirror rotate by -30\nset ylabel \"functions (union)\"\n"
        "plot for [i=2:{}] \"{}\" using i:xtic(1) title columnheader(i), \\\n"
        "     \"\" using {}:xtic(1) title columnheader({}) lc rgb \"#bbbbbb\", \\\n"
        "     \"\" using {}:xtic(1) title columnheader({}) lc rgb \"#777777\", \\\n"
        "     \"\" using {}:xtic(1) title columnheader({}) lc rgb \"#999999\" fillstyle pattern 4 border -1\n",
        kernel, mode, sections + 1, base_name(f.dat), sections + 2, sections + 2, sections + 3, sections + 3, sections + 4,
        sections + 4);
    if (auto st = write_pair(f, subsystem_chart_data(plotted, map->second, top), terminals(f, plot)); !st) return st.error();
    return f;
}

}  // namespace hap
