// A cell's names grouped by where they live (`hapctl report --by subsystem`):
// per MAINTAINERS section or top directory of the kernel's source map
// (source_map.h), with the unmapped and ambiguous names counted as groups of
// their own, so the groups add up to the figure's union.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "source_map.h"

namespace hap {

struct NameGroup {
    std::string group;  // a section, a directory, kUnmapped or kAmbiguous
    std::vector<std::string> names;
};

// `kind` as SourceMap::locate takes it ("function", "syscall"); `map` null:
// every name is unmapped. Largest group first, ties by name.
std::vector<NameGroup> group_names(const std::set<std::string>& names, const std::string& kind, const SourceMap* map,
                                   bool by_directory);

}  // namespace hap
