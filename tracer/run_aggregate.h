// Folds decoded events into hit counts keyed by (what, thread): memory grows
// with distinct things seen, never with trace length. Thread ids become roles
// only when hits() is asked, after the whole task tree is known.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "symbol_names.h"
#include "task_table.h"
#include "trace_event.h"

namespace hap {

struct Hit {
    SymbolKind kind;
    Role role;
    std::string name;
    uint64_t count;
};

struct CaptureTotals {
    uint64_t events = 0;              // records decoded
    uint64_t interrupt_excluded = 0;  // function records in hardirq/softirq/NMI context
    uint64_t gaps = 0;                // pages that said "records were lost before me"
};

class RunAggregate : public EventSink {
public:
    explicit RunAggregate(TaskTable& tasks) : tasks_(tasks) {}
    void on_event(const TraceEvent& ev) override;
    void on_gap(int cpu) override;

    // Per (kind, role, name); function addresses resolved by `function_name`.
    std::vector<Hit> hits(const std::function<std::string(uint64_t)>& function_name = {}) const;
    const CaptureTotals& totals() const { return totals_; }
    size_t distinct_keys() const { return counts_.size(); }

private:
    struct Key {
        SymbolKind kind;
        pid_t tid;
        int64_t id;
        int64_t sub;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const {
            uint64_t h = static_cast<uint64_t>(k.id) * 0x9E3779B97F4A7C15ull;
            h ^= (static_cast<uint64_t>(k.tid) << 8 | static_cast<uint64_t>(k.kind)) + 0x632BE59BD9B4E019ull + (h << 6);
            return h ^ static_cast<uint64_t>(k.sub);
        }
    };
    void add(SymbolKind kind, pid_t tid, int64_t id, int64_t sub = 0) { ++counts_[Key{kind, tid, id, sub}]; }

    TaskTable& tasks_;
    std::unordered_map<Key, uint64_t, KeyHash> counts_;
    CaptureTotals totals_;
};

}  // namespace hap
