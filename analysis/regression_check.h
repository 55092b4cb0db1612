// `hapctl check`: the kernel-upgrade gate. Cells of the baseline and the
// candidate are matched on runtime, platform, workload and mode (the kernel
// is what changed). A cell regresses when the candidate's mean of the checked
// figure exceeds the baseline's by more than `max_increase_pct`.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "cell_figures.h"

namespace hap {

struct CellVerdict {
    CellKey baseline, candidate;
    std::string figure;
    double before = 0, after = 0;
    std::optional<double> increase_pct;  // nullopt when the baseline mean is 0
    int n_before = 0, n_after = 0;
    std::vector<std::string> added, removed;  // union names
    bool regression = false;
};

struct CheckResult {
    std::vector<CellVerdict> cells;
    std::vector<std::string> missing;  // baseline cells without candidate runs
    bool passed() const;
};

// `figure` empty: hap_fn where functions were captured, else hap_sys.
// Errors: an empty side, no cell in common, or cells whose only candidate
// counterpart has another mode.
Expected<CheckResult> check_regression(const std::vector<Cell>& baseline, const std::vector<Cell>& candidate,
                                       double max_increase_pct, const std::string& figure = "");

}  // namespace hap
