// Folds decoded events into hit counts keyed by (what, thread): memory grows
// with distinct things seen, never with trace length. Thread ids become roles
// only when hits() is asked, after the whole task tree is known.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "count_window.h"
#include "flat_counter.h"
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
    uint64_t outside_window = 0;      // records that would count but fell outside the window
};

class RunAggregate : public EventSink {
public:
    // With a window, only records it contains are counted; fork, exec and
    // exit records reach the task table whenever they happened. The window
    // may open while events stream in (a signal): it is read per record.
    explicit RunAggregate(TaskTable& tasks, const CountWindow* window = nullptr) : tasks_(tasks), window_(window) {}
    void on_event(const TraceEvent& ev) override;
    void on_gap(int cpu) override;
    bool counts_only(EventKind kind) const override { return kind == EventKind::FuncGraphExit; }
    void on_counted(EventKind, uint64_t records) override { totals_.events += records; }

    // Per (kind, role, name); function addresses resolved by `function_name`.
    std::vector<Hit> hits(const std::function<std::string(uint64_t)>& function_name = {}) const;
    const CaptureTotals& totals() const { return totals_; }
    size_t distinct_keys() const { return counts_.size(); }

private:
    // Key packing: hi = kind (8 bits) | tid (32) | sub (16), lo = id. `sub`
    // is a small qualifier (pio direction, mmio type, VMX/SVM); the kind
    // byte keeps hi from ever being all ones, FlatCounter's empty mark.
    static uint64_t pack_hi(SymbolKind kind, pid_t tid, int64_t sub) {
        return uint64_t(kind) << 56 | uint64_t(uint32_t(tid)) << 16 | (uint64_t(sub) & 0xffff);
    }
    void add(SymbolKind kind, pid_t tid, int64_t id, int64_t sub = 0) {
        counts_.add(pack_hi(kind, tid, sub), static_cast<uint64_t>(id));
    }

    TaskTable& tasks_;
    const CountWindow* window_;
    FlatCounter counts_;
    CaptureTotals totals_;
};

}  // namespace hap
