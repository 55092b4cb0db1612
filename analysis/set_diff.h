// `hapctl diff`: what one run set (a kernel, a database) reaches that another
// does not, on normalised names, over the union of each side's complete runs,
// grouped by where each name lives (source_map.h): its MAINTAINERS section and
// its top directory, in the kernel of the side that reached it. A name no
// map places is grouped as "unmapped", a side without a map too. Across two
// kernels, a gone name and a new one that are the same function renamed
// (pair_renames) are listed as renamed, apart from what is new.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cell_figures.h"
#include "source_map.h"

namespace hap {

struct SubsystemChange {
    std::vector<std::string> added, removed;
};

struct FigureDiff {
    std::string figure;  // hap_fn, hap_sys, hap_hc
    std::string kind;    // function, syscall, hypercall/exit_reason
    size_t before = 0, after = 0;
    std::map<std::string, SubsystemChange> by_subsystem;  // MAINTAINERS section, "unmapped", "ambiguous"
    std::map<std::string, SubsystemChange> by_directory;  // net/ipv4, arch/x86/kvm, ...
    std::vector<Rename> renamed;                          // not in added() nor removed()
    size_t added() const;
    size_t removed() const;
};

// The one capture mode of a run set; an error when the set is empty or mixes modes.
Expected<std::string> single_mode(const std::vector<RunSets>& runs, const std::string& side);

// The maps of one side's kernels, in the order its runs name them; a kernel
// without a map is left out.
std::vector<const SourceMap*> side_maps(const std::vector<RunSets>& runs, const SourceMaps& maps);

// Both sides must be non-empty and in the same single mode. `maps` holds the
// source maps of either side's kernels (load_source_maps); empty: every name
// is unmapped and nothing is paired as a rename.
Expected<std::vector<FigureDiff>> diff_run_sets(const std::vector<RunSets>& a, const std::vector<RunSets>& b,
                                                const SourceMaps& maps = {});

}  // namespace hap
