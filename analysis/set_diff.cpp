#include "set_diff.h"

#include "subsystem.h"

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

Expected<std::vector<FigureDiff>> diff_run_sets(const std::vector<RunSets>& a, const std::vector<RunSets>& b) {
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
        for (const auto& n : after)
            if (!before.count(n)) d.by_subsystem[guess_subsystem(kind, n)].added.push_back(n);
        for (const auto& n : before)
            if (!after.count(n)) d.by_subsystem[guess_subsystem(kind, n)].removed.push_back(n);
        out.push_back(std::move(d));
    }
    return out;
}

}  // namespace hap
