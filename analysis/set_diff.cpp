#include "set_diff.h"


namespace hap {

size_t FigureDiff::added() const {
    size_t n = 0;
    for (const auto& [s, c] : by_subsystem) n += c.added.size();
    return n;
}

size_t FigureDiff::removed() const {
    size_t n = 0;
    for (const auto& [s, c] : by_subsystem) n += c.removed.size();
    return n;
}

Expected<std::string> single_mode(const std::vector<RunSets>& runs, const std::string& side) {
    if (runs.empty()) return Error{side + " has no complete runs"};
    std::set<std::string> modes;
    for (const auto& r : runs) modes.insert(r.run.mode);
    if (modes.size() > 1) {
        std::string list;
        for (const auto& m : modes) list += (list.empty() ? "" : ", ") + m;
        return Error{side + " mixes runs of different modes (" + list + "); select one with --mode"};
    }
    return *modes.begin();
}

std::vector<const SourceMap*> side_maps(const std::vector<RunSets>& runs, const SourceMaps& maps) {
    std::vector<const SourceMap*> out;
    std::set<std::string> seen;
    for (const auto& r : runs)
        if (auto it = maps.find(r.run.kernel_release); it != maps.end() && seen.insert(r.run.kernel_release).second)
            out.push_back(&it->second);
    return out;
}

Expected<std::vector<FigureDiff>> diff_run_sets(const std::vector<RunSets>& a, const std::vector<RunSets>& b, const SourceMaps& maps) {
    auto ma = single_mode(a, "the first run set");
    if (!ma) return ma.error();
    auto mb = single_mode(b, "the second run set");
    if (!mb) return mb.error();
    if (*ma != *mb) return Error{"the run sets were captured in different modes (" + *ma + " vs " + *mb + ")"};
    auto unions = [](const std::vector<RunSets>& runs, const std::string& fig) {
        std::set<std::string> u;
        for (const auto& r : runs)
            if (auto it = r.names.find(fig); it != r.names.end()) u.insert(it->second.begin(), it->second.end());
        return u;
    };
    std::vector<FigureDiff> out;
    const std::pair<const char*, const char*> figures[] = {{"hap_fn", "function"}, {"hap_sys", "syscall"}, {"hap_hc", "hypercall"}};
    for (const auto& [fig, kind] : figures) {
        if (!a.front().names.count(fig)) continue;  // not captured in this mode
        FigureDiff d;
        d.figure = fig;
        d.kind = kind;
        const auto before = unions(a, fig), after = unions(b, fig);
        d.before = before.size();
        d.after = after.size();
        std::vector<std::string> added, removed;
        for (const auto& n : after)
            if (!before.count(n)) added.push_back(n);
        for (const auto& n : before)
            if (!after.count(n)) removed.push_back(n);
        const auto maps_a = side_maps(a, maps), maps_b = side_maps(b, maps);
        if (std::string(kind) == "function") {
            auto pairs = pair_renames(removed, added, maps_a.empty() ? nullptr : maps_a.front(),
                                      maps_b.empty() ? nullptr : maps_b.front());
            d.renamed = std::move(pairs.renamed);
            added = std::move(pairs.added);
            removed = std::move(pairs.removed);
        }
        for (const auto& n : added) {
            const auto loc = locate_in(maps_b, kind, n);
            d.by_subsystem[loc.section].added.push_back(n);
            d.by_directory[loc.directory].added.push_back(n);
        }
        for (const auto& n : removed) {
            const auto loc = locate_in(maps_a, kind, n);
            d.by_subsystem[loc.section].removed.push_back(n);
            d.by_directory[loc.directory].removed.push_back(n);
        }
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace hap
