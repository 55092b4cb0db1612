// `hapctl check`: the kernel-upgrade gate. Cells of the baseline and the
// candidate are matched on runtime, platform, workload and mode (the kernel
// is what changed). Three verdicts per cell, because the same cells measured
// an hour apart differ by a few percent (run-to-run noise):
//   threshold    the candidate's mean exceeds the baseline's by more than
//                `max_increase_pct` percent;
//   repetitions  the difference of the means is beyond what the two cells'
//                repetitions vary by: Welch's t-test at 95% (two-sided),
//                t_{.975,df} * sqrt(sd_b^2/n_b + sd_c^2/n_c); with fewer than
//                two repetitions on a side, beyond the baseline's largest one;
//   union        it exceeds the size of the baseline's union (the distinct
//                names of all baseline repetitions together): per run, the
//                candidate reaches more than the baseline did in all of its
//                runs, which differing repetitions cannot explain.
// The two are independent: noisy repetitions widen the first, names that
// come and go between runs widen the second.
// New surface: the names the candidate's union adds, less those that are a
// gone name renamed (source_map.h pair_renames, with both kernels' source
// maps); `--fail-on new-surface` fails a cell when they exceed
// `max_increase_pct` percent of the baseline's union (0: any new name), and
// asks nothing of the mean, so a rename never fails it and a new function
// always counts.
// `FailOn` picks which of them make a cell a regression; the threshold always
// applies (0 keeps every increase).
// Across modes (`hapctl check --baseline-mode`): the user compares two ways of
// capturing one thing on purpose (function_retire against a full function
// capture), so a baseline cell pairs with the candidate's cell of the same
// runtime, platform and workload whatever its mode, and the question is
// equality: the repetitions verdict is two-sided (a difference either way
// beyond Welch's bound).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cell_figures.h"
#include "source_map.h"

namespace hap {

// Which verdicts make a regression (hapctl check --fail-on).
enum class FailOn {
    Threshold,    // the percentage alone (hap before the noise verdicts)
    Repetitions,  // threshold and beyond the baseline's repetitions
    Union,        // threshold and beyond the baseline's union
    Both,         // threshold and beyond both (hapctl check's default)
    NewSurface,   // new names that are no rename, as a share of the baseline's union
};
// "threshold", "repetitions", "union", "both", "new-surface"; nullopt for anything else.
std::optional<FailOn> parse_fail_on(const std::string& s);
const char* fail_on_name(FailOn f);

struct CellVerdict {
    CellKey baseline, candidate;
    std::string figure;
    double before = 0, after = 0;       // means over the repetitions
    double before_max = 0;              // the baseline's largest repetition
    std::optional<double> noise_bound;  // Welch's 95% bound on the difference of means; nullopt with n < 2
    double before_union = 0;            // distinct names over the baseline's repetitions
    std::optional<double> increase_pct;  // nullopt when the baseline mean is 0
    int n_before = 0, n_after = 0;
    std::vector<std::string> added, removed;  // union names, sorted
    std::vector<Rename> renamed;              // gone -> new pairs, in neither added nor new_surface
    std::vector<std::string> new_surface;     // added, less the renames' new names
    std::optional<double> new_surface_pct;    // of the baseline's union; nullopt when it is empty
    // beyond_repetitions: the increase, or across modes the difference either way.
    bool beyond_threshold = false, beyond_repetitions = false, beyond_union = false, beyond_new_surface = false;
    bool regression = false;  // by the FailOn given
};

struct CheckResult {
    std::vector<CellVerdict> cells;
    std::vector<std::string> missing;  // baseline cells without candidate runs
    bool passed() const;
};

// `figure` empty: hap_fn where functions were captured, else hap_sys.
// For hap_cc the union is the complexity summed over the union's functions.
// `maps`: source maps by kernel release, to tell renames from new surface
// (none: no name is paired).
// Errors: an empty side, no cell in common, cells whose only candidate
// counterpart has another mode, or FailOn::NewSurface on functions of a
// kernel without a source map (renames could not be told apart).
Expected<CheckResult> check_regression(const std::vector<Cell>& baseline, const std::vector<Cell>& candidate,
                                       double max_increase_pct, const std::string& figure = "",
                                       FailOn fail_on = FailOn::Threshold, const SourceMaps* maps = nullptr,
                                       bool across_modes = false);

}  // namespace hap
