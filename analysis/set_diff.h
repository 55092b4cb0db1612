// `hapctl diff`: what one run set (a kernel, a database) reaches that another
// does not, on normalised names, over the union of each side's complete runs,
// grouped by a subsystem guess.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cell_figures.h"

namespace hap {

struct SubsystemChange {
    std::vector<std::string> added, removed;
};

struct FigureDiff {
    std::string figure;  // hap_fn, hap_sys, hap_hc
    std::string kind;    // function, syscall, hypercall/exit_reason
    size_t before = 0, after = 0;
    std::map<std::string, SubsystemChange> by_subsystem;
    size_t added() const;
    size_t removed() const;
};

// The one capture mode of a run set; an error when the set is empty or mixes modes.
Expected<std::string> single_mode(const std::vector<RunSets>& runs, const std::string& side);

// Both sides must be non-empty and in the same single mode.
Expected<std::vector<FigureDiff>> diff_run_sets(const std::vector<RunSets>& a, const std::vector<RunSets>& b);

}  // namespace hap
