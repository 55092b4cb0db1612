#include "long_export.h"

#include <map>
#include <optional>

#include "csv.h"
#include "source_map.h"

namespace hap {

std::vector<std::string> long_csv_header() {
    return {"run_id", "uuid", "runtime", "platform", "workload", "kernel", "mode", "repetition",
            "role", "kind", "raw", "normalized", "hits", "file", "section", "directory"};
}

Status write_long_csv(std::ostream& out, Store& store, const std::vector<RunRow>& runs) {
    write_csv_row(out, long_csv_header());
    std::map<std::string, std::optional<SourceMap>> maps;  // by kernel release, read once
    for (const auto& r : runs) {
        auto hits = store.hits(r.id);
        if (!hits) return hits.error();
        auto m = maps.find(r.kernel_release);
        if (m == maps.end()) {
            auto stored = store.source_map(r.kernel_release);
            if (!stored) return stored.error();
            m = maps.emplace(r.kernel_release, *stored ? std::optional<SourceMap>(SourceMap::from_stored(**stored)) : std::nullopt).first;
        }
        for (const auto& h : *hits) {
            std::vector<std::string> row = {std::to_string(r.id), r.uuid, r.runtime, r.platform, r.workload, r.kernel_release, r.mode,
                                            std::to_string(r.repetition), h.role, h.kind, h.raw, h.normalized, std::to_string(h.count)};
            const bool placeable = h.kind == "function" || h.kind == "syscall" || h.kind == "hypercall" || h.kind == "exit_reason";
            if (m->second && placeable) {
                // A function's raw name is the one symbol it was (foo@vmlinux:2):
                // with an exact map that is one file, where its name may be several.
                const auto loc = h.kind == "function" ? m->second->locate_raw(h.normalized, {h.raw}) : m->second->locate(h.kind, h.normalized);
                row.insert(row.end(), {loc.file(), loc.section, loc.directory});
            } else {
                row.insert(row.end(), {"", "", ""});
            }
            write_csv_row(out, row);
        }
    }
    return {};
}

}  // namespace hap
