// The data and gnuplot scripts behind `hapctl chart`. Each chart is PREFIX-NAME
// .dat + .gp, and the script renders PREFIX-NAME.png (pngcairo) and .svg, so a
// researcher can restyle it by editing the .gp and running gnuplot again.
//   bars:     grouped bars of a figure per workload (groups) and runtime
//             (bars), with error bars, like the published HAP charts;
//   tradeoff: the figure against throughput (untraced where measured), one
//             labelled point per cell;
//   subsystems: one bar per cell, HAP_fn's union stacked by MAINTAINERS
//             section (the kernel's source map): the largest sections,
//             the rest as "other sections", ambiguous and unmapped apart;
//   roles:    one bar per cell, stacked by role (workload, runtime, vmm,
//             vcpu, backend, and shared: reached by two or more), so a
//             reader sees where a VM's profile lives; the bar is HAP_fn.
#pragma once

#include <string>
#include <vector>

#include "cell_figures.h"
#include "source_map.h"

namespace hap {

enum class ErrorBars { ci95, sd, minmax };

struct ChartSpec {
    std::string figure = "hap_fn";
    ErrorBars errors = ErrorBars::ci95;
    std::string prefix;  // path without extension, e.g. results/hap
};

struct ChartFiles {
    std::string dat, gp, png, svg;
    std::string note;  // what a reader must know to read it (the tradeoff's x axis)
};

// The tradeoff chart's x axis over the cells it plots: its name and why.
struct TradeoffAxis {
    std::string name, why;
};
TradeoffAxis tradeoff_axis(const std::vector<const Cell*>& cells);

// Errors: no cell has the figure, or the cells span several kernels or
// modes (a chart shows one kernel and one mode).
Expected<ChartFiles> write_bar_chart(const std::vector<Cell>& cells, const ChartSpec& spec);
Expected<ChartFiles> write_tradeoff_chart(const std::vector<Cell>& cells, const ChartSpec& spec);
// For hap_fn and hap_sys: each cell's figure stacked by role, each name
// once (Cell::role_stacks): what one role alone reached in its role's
// segment, what two or more reached in "shared", so a bar equals the cell's
// mean figure. Error: the figure has no roles.
Expected<ChartFiles> write_role_chart(const std::vector<Cell>& cells, const ChartSpec& spec);

// HAP_fn's union per cell by MAINTAINERS section: the `top` sections with
// the most names over all cells, the others summed, and the ambiguous and
// unmapped names, so a bar is the cell's union. Error: no function runs, or
// the cells' kernel has no source map.
Expected<ChartFiles> write_subsystem_chart(const std::vector<Cell>& cells, const ChartSpec& spec, const SourceMaps& maps,
                                           size_t top = 12);
std::string subsystem_chart_data(const std::vector<Cell>& cells, const SourceMap& map, size_t top = 12);

// The stacked chart's .dat content (for tests): one row per cell, one column
// per role and one for shared; 0 where the role reached nothing or the
// sandbox has none.
std::string role_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec);

// The tradeoff's .dat content (for tests): one row per cell with the figure
// and a throughput; x is the untraced throughput where the cell has it, else
// the traced one, and then the label ends in "(traced)".
std::string tradeoff_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec);

// The bars' .dat content (for tests): one row per workload, three columns
// (mean, low, high) per runtime, "?" where a cell is missing.
std::string bar_chart_data(const std::vector<Cell>& cells, const ChartSpec& spec);

}  // namespace hap
