// Figures per cell (DESIGN.md, "HAP figures"): a cell is runtime x platform x
// workload x kernel x mode, so runs of different capture modes never mix.
// Only complete runs count. Per figure: n, mean, sd, min, max, 95% CI, and
// the union of names over the repetitions; in total and per role.
//
// Figure names: hap_fn (normalised function names: clones such as foo.part.0
// and same-named static functions count once), hap_fn_raw (functions as the
// kernel named them, one per address: Kallsyms::lookup tells same-named ones
// apart), hap_sys, hap_hc (hypercalls + exit reasons), backend
// (functions reached by backend tasks), hap_cc (when a complexity table is
// given), and per role "hap_fn:workload", "hap_sys:runtime", ... With kvm
// captured, "pio" and "mmio" list the ports and guest physical addresses of
// I/O exits (not headline figures: HAP_hc counts exit reasons).
#pragma once

#include <compare>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "stats.h"
#include "store.h"

namespace hap {

// The normalised names one complete run reached, per figure. A figure the
// run's mode did not capture has no entry (not an empty set).
struct RunSets {
    RunRow run;
    std::map<std::string, std::set<std::string>> names;
};

struct CellKey {
    std::string runtime, platform, workload, kernel, mode;
    auto operator<=>(const CellKey&) const = default;
    std::string label() const;  // "runsc/ptrace redis"
};

struct FigureStat {
    Stat stat;
    int64_t union_count = 0;  // hap_cc: complexity summed over the union
};

struct Cell {
    CellKey key;
    std::vector<int64_t> run_ids;
    std::map<std::string, FigureStat> figures;
    std::map<std::string, std::set<std::string>> unions;  // hap_cc has none
    // hap_fn and hap_sys split so that each name of a run counts once: per
    // role what that role alone reached, and "shared" what two or more roles
    // reached. Per run the segments add up to the figure, so their means add
    // up to its mean (the roles chart: STYLE.md 9, a bar equals its figure).
    std::map<std::string, std::map<std::string, Stat>> role_stacks;
    std::optional<int64_t> traceable_functions;  // of the cell's kernel
    std::optional<Stat> throughput;            // while traced
    std::optional<Stat> throughput_untraced;   // the same load, nothing traced (runs that have it)
    std::string throughput_unit;
    // The mean of hap_fn_raw (one per address, as the kernel lists its
    // traceable functions) as a share of the kernel's traceable functions (0..1).
    std::optional<double> traceable_share() const;
    // The figure that share is of: hap_fn_raw, or hap_fn where runs lack it.
    const char* traceable_share_figure() const;
    const FigureStat* figure(const std::string& name) const;
};

// Which complete runs a command looks at; empty fields match everything.
struct RunSelection {
    std::string runtime, platform, workload, kernel, mode;
};

// Reads the complete runs of the selection, with their name sets.
Expected<std::vector<RunSets>> load_run_sets(Store& store, const RunSelection& selection);

// The figure names of one run, from its hits; pure, for tests. Per-role
// figures and `backend` exist only for the roles in `roles` (the roles the
// sandbox had, run_summary.h roles_present): a role it did not have is not
// applicable, so its figure is absent, not 0.
std::map<std::string, std::set<std::string>> figure_sets(const std::string& mode, const std::vector<StoredHit>& hits,
                                                         const std::set<std::string>& roles);

using ComplexityTables = std::map<std::string, std::map<std::string, int64_t>>;  // release -> function -> cc

struct CellOptions {
    std::map<std::string, int64_t> traceable;  // kernel release -> traceable functions
    // When set, every cell with functions gets hap_cc; a kernel without a
    // table is an error (never a sum over an empty table).
    const ComplexityTables* complexity = nullptr;
};

struct HapCc {
    int64_t sum = 0;
    int64_t unmatched = 0;  // functions the table has no entry for
};
HapCc hap_cc(const std::set<std::string>& functions, const std::map<std::string, int64_t>& table);

Expected<std::vector<Cell>> compute_cells(const std::vector<RunSets>& runs, const CellOptions& options = {});

// load_run_sets + compute_cells with the store's kernels (traceable counts)
// and, when `with_cc`, its complexity tables for the kernels of the runs.
Expected<std::vector<Cell>> load_cells(Store& store, const RunSelection& selection, bool with_cc = false);

// Which function count is which, in one line for every output that shows
// HAP_fn (report, measure, trace).
inline constexpr const char* kHapFnCounts =
    "hap_fn: normalised function names (foo.isra.0 and same-named static functions count once; compare kernels on "
    "it); hap_fn_raw: functions as the kernel named them, one per address (foo@vmlinux:2)";

// The segment of role_stacks for names two or more roles reached.
inline constexpr const char* kSharedSegment = "shared";

// Headline figure names, in report order.
const std::vector<std::string>& headline_figures();

}  // namespace hap
