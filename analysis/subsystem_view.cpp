#include "subsystem_view.h"

#include <algorithm>
#include <map>

namespace hap {

std::vector<NameGroup> group_names(const std::set<std::string>& names, const std::string& kind, const SourceMap* map,
                                   bool by_directory) {
    std::map<std::string, std::vector<std::string>> groups;
    for (const auto& n : names) {
        if (!map) {
            groups[kUnmapped].push_back(n);
            continue;
        }
        const auto loc = map->locate(kind, n);
        groups[by_directory ? loc.directory : loc.section].push_back(n);
    }
    std::vector<NameGroup> out;
    for (auto& [g, v] : groups) out.push_back(NameGroup{g, std::move(v)});
    std::stable_sort(out.begin(), out.end(), [](const NameGroup& a, const NameGroup& b) { return a.names.size() > b.names.size(); });
    return out;
}

}  // namespace hap
