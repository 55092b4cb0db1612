#include "regression_check.h"

#include <algorithm>
#include <cmath>

namespace hap {

std::optional<FailOn> parse_fail_on(const std::string& s) {
    if (s == "threshold") return FailOn::Threshold;
    if (s == "repetitions") return FailOn::Repetitions;
    if (s == "union") return FailOn::Union;
    if (s == "both") return FailOn::Both;
    if (s == "new-surface") return FailOn::NewSurface;
    return std::nullopt;
}

const char* fail_on_name(FailOn f) {
    switch (f) {
        case FailOn::Threshold: return "threshold";
        case FailOn::Repetitions: return "repetitions";
        case FailOn::Union: return "union";
        case FailOn::Both: return "both";
        case FailOn::NewSurface: return "new-surface";
    }
    return "?";
}

bool CheckResult::passed() const {
    if (!missing.empty()) return false;
    for (const auto& c : cells)
        if (c.regression) return false;
    return true;
}

Expected<CheckResult> check_regression(const std::vector<Cell>& baseline, const std::vector<Cell>& candidate,
                                       double max_increase_pct, const std::string& figure, FailOn fail_on,
                                       const SourceMaps* maps, bool across_modes) {
    if (baseline.empty()) return Error{"the baseline has no complete runs"};
    if (candidate.empty()) return Error{"the candidate has no complete runs"};
    auto same_cell = [](const CellKey& a, const CellKey& b) {
        return a.runtime == b.runtime && a.platform == b.platform && a.workload == b.workload;
    };
    CheckResult result;
    for (const auto& base : baseline) {
        const Cell* match = nullptr;
        std::string other_mode;
        for (const auto& cand : candidate) {
            if (!same_cell(base.key, cand.key)) continue;
            if (cand.key.mode != base.key.mode && !across_modes) {
                other_mode = cand.key.mode;
                continue;
            }
            if (match)
                return Error{"the candidate holds " + base.key.label() + " on more than one kernel (" + match->key.kernel +
                             ", " + cand.key.kernel + "); select one with --kernel"};
            match = &cand;
        }
        if (!match) {
            if (!other_mode.empty())
                return Error{base.key.label() + ": the baseline was captured in mode " + base.key.mode +
                             ", the candidate in mode " + other_mode + "; runs of different modes cannot be compared"};
            result.missing.push_back(base.key.label() + " (" + base.key.mode + ")");
            continue;
        }
        std::string fig = figure;
        if (fig.empty()) fig = base.figure("hap_fn") ? "hap_fn" : "hap_sys";
        const FigureStat* b = base.figure(fig);
        const FigureStat* c = match->figure(fig);
        if (!b || !c) return Error{base.key.label() + ": figure " + fig + " was not captured in mode " + base.key.mode};
        CellVerdict v;
        v.baseline = base.key;
        v.candidate = match->key;
        v.figure = fig;
        v.before = b->stat.mean;
        v.after = c->stat.mean;
        v.before_max = b->stat.max;
        v.n_before = b->stat.n;
        v.n_after = c->stat.n;
        const auto bu = base.unions.find(fig), cu = match->unions.find(fig);
        const bool have_unions = bu != base.unions.end() && cu != match->unions.end();
        v.before_union = have_unions ? static_cast<double>(bu->second.size()) : static_cast<double>(b->union_count);
        if (b->stat.mean > 0) v.increase_pct = (c->stat.mean - b->stat.mean) / b->stat.mean * 100.0;
        v.beyond_threshold = v.increase_pct ? (across_modes ? std::abs(*v.increase_pct) : *v.increase_pct) > max_increase_pct
                                         : c->stat.mean > 0;
        if (b->stat.n >= 2 && c->stat.n >= 2 && b->stat.sd && c->stat.sd) {
            const double vb = *b->stat.sd * *b->stat.sd / b->stat.n, vc = *c->stat.sd * *c->stat.sd / c->stat.n;
            if (vb + vc > 0) {
                // Welch-Satterthwaite degrees of freedom.
                const double df = (vb + vc) * (vb + vc) / (vb * vb / (b->stat.n - 1) + vc * vc / (c->stat.n - 1));
                v.noise_bound = t_quantile_975(std::max(1, static_cast<int>(df))) * std::sqrt(vb + vc);
            } else {
                v.noise_bound = 0.0;  // identical repetitions on both sides: any difference is beyond
            }
            const double diff = v.after - v.before;
            v.beyond_repetitions = (across_modes ? std::abs(diff) : diff) > *v.noise_bound;
        } else {
            v.beyond_repetitions = v.after > v.before_max;
        }
        v.beyond_union = v.after > v.before_union;
        if (have_unions) {
            for (const auto& n : cu->second)
                if (!bu->second.count(n)) v.added.push_back(n);
            for (const auto& n : bu->second)
                if (!cu->second.count(n)) v.removed.push_back(n);
        }
        const bool functions = fig == "hap_fn" || fig.rfind("hap_fn:", 0) == 0 || fig == "backend";
        auto map_of = [&](const std::string& kernel) -> const SourceMap* {
            if (!maps) return nullptr;
            auto it = maps->find(kernel);
            return it == maps->end() ? nullptr : &it->second;
        };
        if (fail_on == FailOn::NewSurface && functions && have_unions)
            for (const auto& k : {base.key.kernel, match->key.kernel})
                if (!map_of(k))
                    return Error{"--fail-on new-surface needs the source map of kernel " + k +
                                 " to tell renamed functions from new ones; import it with `hapctl sources import`"};
        if (functions) {
            auto pairs = pair_renames(v.removed, v.added, map_of(base.key.kernel), map_of(match->key.kernel));
            v.renamed = std::move(pairs.renamed);
            v.new_surface = std::move(pairs.added);
        } else {
            v.new_surface = v.added;
        }
        if (v.before_union > 0) v.new_surface_pct = static_cast<double>(v.new_surface.size()) / v.before_union * 100.0;
        v.beyond_new_surface = v.new_surface_pct ? *v.new_surface_pct > max_increase_pct : !v.new_surface.empty();
        switch (fail_on) {
            case FailOn::Threshold: v.regression = v.beyond_threshold; break;
            case FailOn::Repetitions: v.regression = v.beyond_threshold && v.beyond_repetitions; break;
            case FailOn::Union: v.regression = v.beyond_threshold && v.beyond_union; break;
            case FailOn::Both: v.regression = v.beyond_threshold && v.beyond_repetitions && v.beyond_union; break;
            case FailOn::NewSurface: v.regression = have_unions && v.beyond_new_surface; break;
        }
        result.cells.push_back(std::move(v));
    }
    if (result.cells.empty()) return Error{"the baseline and the candidate have no runtime x workload cell in common"};
    return result;
}

}  // namespace hap
