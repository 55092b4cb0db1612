#include "long_export.h"

#include "csv.h"

namespace hap {

std::vector<std::string> long_csv_header() {
    return {"run_id", "uuid", "runtime", "platform", "workload", "kernel", "mode", "repetition",
            "role", "kind", "raw", "normalized", "hits"};
}

Status write_long_csv(std::ostream& out, Store& store, const std::vector<RunRow>& runs) {
    write_csv_row(out, long_csv_header());
    for (const auto& r : runs) {
        auto hits = store.hits(r.id);
        if (!hits) return hits.error();
        for (const auto& h : *hits)
            write_csv_row(out, {std::to_string(r.id), r.uuid, r.runtime, r.platform, r.workload, r.kernel_release, r.mode,
                                std::to_string(r.repetition), h.role, h.kind, h.raw, h.normalized, std::to_string(h.count)});
    }
    return {};
}

}  // namespace hap
