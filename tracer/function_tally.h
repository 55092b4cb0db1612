// Function records counted by the page walk itself, for a sink whose only use
// of nearly every one is one more hit of (task, address) (issue 24).
//
// Why: handed over in runs (EventSink::on_function_run), each record was
// still written out as a 24-byte FunctionRecord and read back by a second
// loop that asked again what the walk had just looked at (callgrind: about a
// third of replay's 74 instructions per record). A sink that hands the
// decoder a FunctionTally lets it add the hit where it reads the record.
//
// What the sink must still see itself, in trace order, is named by the watch:
// a record of the task whose syscall waits on this CPU for its dispatch
// record, or one on a page of text that holds a function run before
// sys_enter (RunAggregate::on_function). Those go to the sink as a run of one;
// the watch is a superset, so a record it flags that needs nothing is only
// slower. Interrupt context is tested first, as count_function does.
#pragma once

#include <climits>
#include <cstdint>

#include "flat_counter.h"
#include "syscall_abi.h"
#include "trace_event.h"

namespace hap {

class FunctionTally {
public:
    // No task has this id (a record's pid is 32 bits, compared as
    // uint32_t): no task is watched.
    static constexpr uint64_t kNobody = uint64_t{1} << 32;
    static uint64_t tid_key(int tid) { return uint32_t(tid); }

    // Hits go to `counts` under the key {hi_tid0 | tid << 16, address}
    // (RunAggregate::pack_hi of a function hit); records and the ones in
    // interrupt context are added to `events` and `interrupt_excluded`.
    FunctionTally(FlatCounter& counts, uint64_t hi_tid0, uint64_t& events, uint64_t& interrupt_excluded)
        : counts_(counts), hi_tid0_(hi_tid0), events_(events), interrupt_excluded_(interrupt_excluded) {}

    // Set by the sink whenever it hands the tally out (its state may have
    // moved since): the entry-path functions (nullptr: none) and the task
    // watched on the CPU whose page is being read.
    void watch(const EntryPathIndex* entry, uint64_t tid) {
        entry_ = entry && !entry->empty() ? entry : nullptr;
        watch_lo_ = entry_ ? entry_->before_lo() : UINT64_MAX;
        watch_span_ = entry_ ? entry_->before_span() : 0;
        watch_tid_ = tid;
    }
    // The quick test, meant to be kept in registers by the walk: a record
    // is watched only if `address - lo < span` or tid_key(its task) is `tid`.
    uint64_t watch_lo() const { return watch_lo_; }
    uint64_t watch_span() const { return watch_span_; }
    uint64_t watch_tid() const { return watch_tid_; }
    // The exact test behind the quick one passing.
    bool watched(int pid, uint64_t addr) const {
        return tid_key(pid) == watch_tid_ || (entry_ && entry_->maybe_before(addr) && entry_->on_entry_page(addr));
    }

    // One hit of `addr` by task `pid` (not in interrupt context, not watched).
    __attribute__((always_inline)) void add(int pid, uint64_t addr) {
        counts_.add(hi_tid0_ | uint64_t(uint32_t(pid)) << 16, addr);
    }
    // Once per page: `records` function records were counted here (hits and
    // the `interrupts` left out).
    void add_records(uint64_t records, uint64_t interrupts) {
        events_ += records;
        interrupt_excluded_ += interrupts;
    }

private:
    FlatCounter& counts_;
    const uint64_t hi_tid0_;
    uint64_t& events_;
    uint64_t& interrupt_excluded_;
    const EntryPathIndex* entry_ = nullptr;
    uint64_t watch_lo_ = UINT64_MAX, watch_span_ = 0;
    uint64_t watch_tid_ = kNobody;
};

}  // namespace hap
