// The decoded form of one trace record, the same whichever source produced it
// (live tracefs, a recorded capture, or a synthetic test source).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace hap {

class FunctionTally;

enum class EventKind : uint8_t {
    SyscallEnter,    // a = syscall number
    ProcessFork,     // a = child tid, comm = child's comm
    ProcessExit,     // comm = exiting task's comm
    ProcessExec,     // comm = new comm, path = the file exec'd as given to execve
    KvmExit,         // a = exit reason, b = isa (1 VMX, 2 SVM) when known
    KvmHypercall,    // a = hypercall number
    KvmPio,          // a = port, b = 0 read / 1 write
    KvmMmio,         // a = guest physical address, b = type
    FunctionEntry,   // a = function address (function tracer)
    FuncGraphEntry,  // a = function address, b = depth
    FuncGraphExit,   // no fields: the matching entry named the function
};

// common_flags bits (kernel trace_entry flags). libtraceevent's enum lacks NMI
// and BH_OFF, see TRACEFS-NOTES.md.
inline constexpr unsigned kFlagHardirq = 0x08;
inline constexpr unsigned kFlagSoftirq = 0x10;
inline constexpr unsigned kFlagNmi = 0x40;
inline constexpr unsigned kInterruptContext = kFlagHardirq | kFlagSoftirq | kFlagNmi;

struct TraceEvent {
    EventKind kind{};
    int cpu = 0;
    int pid = 0;  // thread id of the task that was current
    unsigned flags = 0;
    uint64_t ts = 0;
    int64_t a = 0;
    int64_t b = 0;
    std::string_view comm;  // valid only during the callback
    std::string_view path;  // ProcessExec only; valid only during the callback
};

// A function record (function, funcgraph_entry) in a run handed over whole:
// what attribution needs of the records that make up most of a function-level
// trace.
struct FunctionRecord {
    uint64_t ts;
    uint64_t addr;  // the function's address (TraceEvent::a)
    int pid;
    unsigned flags;
};

class EventSink {
public:
    virtual ~EventSink() = default;
    virtual void on_event(const TraceEvent& ev) = 0;
    // The kernel dropped records before this point on `cpu` (a gap, not a count).
    virtual void on_gap(int /*cpu*/) {}
    // Every record with a time stamp at or before `ts` (the ring buffer's
    // clock, ns) on every CPU has now been delivered: records reach a sink
    // per CPU, so a source that can say this lets it order what needs time
    // order across CPUs (a live source, after reading every CPU to the end;
    // UINT64_MAX once drained).
    virtual void on_decoded_through(uint64_t /*ts*/) {}
    // A sink that has no use for records of a kind says so; the decoder then
    // hands it only how many there were, once per page, not each record
    // (half of a function_graph trace is funcgraph_exit).
    virtual bool counts_only(EventKind /*kind*/) const { return false; }
    virtual void on_counted(EventKind /*kind*/, uint64_t /*records*/) {}
    // A sink that takes function records in runs says so; the decoder then
    // hands it each run of consecutive records of one function kind on one
    // CPU in one call instead of an on_event each (no TraceEvent is built,
    // no call per record: a third of replay time went there, issue 14).
    // Trace order holds: a run ends before any other record is delivered.
    // Depth (funcgraph_entry's b) is not in a run.
    virtual bool takes_function_runs() const { return false; }
    virtual void on_function_run(EventKind /*kind*/, int /*cpu*/, const FunctionRecord* /*records*/, size_t /*n*/) {}
    // A sink that takes runs and folds a function record into nothing but
    // one hit of (task, address), unless the record is in interrupt context,
    // may hand the decoder a FunctionTally (function_tally.h) for records
    // of `cpu`: the decoder then counts those records itself, and sends the
    // sink, as runs, only the ones the tally's watch names. Asked again
    // after every other call into the sink, whose state may have moved.
    // nullptr: not now (a count window, an observer of each record).
    virtual FunctionTally* function_tally(int /*cpu*/) { return nullptr; }
};

}  // namespace hap
