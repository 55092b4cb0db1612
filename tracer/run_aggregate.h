// Folds decoded events into hit counts keyed by (what, thread): memory grows
// with distinct things seen, never with trace length. Thread ids become roles
// only when hits() is asked, after the whole task tree is known.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "count_window.h"
#include "function_retirer.h"
#include "function_tally.h"
#include "flat_counter.h"
#include "symbol_names.h"
#include "syscall_abi.h"
#include "task_abi.h"
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

// How the ABI of each counted syscall record was learnt (hits() names them).
struct SyscallAbiSources {
    uint64_t entry_path = 0;  // a function record of its entry path (function modes)
    uint64_t program = 0;     // the ELF class of the task's program (TaskAbis)
    uint64_t x32_bit = 0;     // the number's __X32_SYSCALL_BIT
    uint64_t unknown = 0;     // nothing said: stored as unknown:NR
};

class RunAggregate : public EventSink {
public:
    // With a window, only records it contains are counted; fork, exec and
    // exit records reach the task table whenever they happened. The window
    // may open while events stream in (a signal): it is read per record.
    explicit RunAggregate(TaskTable& tasks, const CountWindow* window = nullptr) : tasks_(tasks), window_(window) {}
    // A shard for one reader thread (drain_in_parallel, parallel_replay.h):
    // counts and per-CPU state of its own; the parent's task table and
    // syscall ABIs, taken under `shared` for fork, exec and syscall records
    // (TaskAbis settles each syscall's ABI by timestamps, whatever order
    // the records are decoded in); vCPU marks are kept and handed over by
    // merge().
    RunAggregate(RunAggregate& parent, std::mutex& shared);
    // kvm_exit records always mark their task as a vCPU (TaskTable::
    // on_guest_exit); their exit reasons are counted (HAP_hc) only when this
    // is on: off when kvm_exit was enabled just to find a VM's vCPUs, not
    // because --mode kvm asked for hypercalls. Set before any record.
    void count_exit_reasons(bool on) { count_exit_reasons_ = on; }
    // Told of every function record counted (the retiring mode's
    // FunctionRetirer), and of every fork. Not owned; set before any record.
    // A shard never has one (replays do not retire).
    void observe_counts(CountObserver* observer) { observer_ = observer; }
    // abis_ may point into this object: never copied or moved.
    RunAggregate(const RunAggregate&) = delete;
    RunAggregate& operator=(const RunAggregate&) = delete;
    // Folds a shard made from this aggregate into it, once its reader is done.
    void merge(RunAggregate& shard);
    void on_event(const TraceEvent& ev) override;
    void on_gap(int cpu) override;
    bool counts_only(EventKind kind) const override { return kind == EventKind::FuncGraphExit; }
    void on_counted(EventKind, uint64_t records) override { totals_.events += records; }
    bool takes_function_runs() const override { return true; }
    void on_function_run(EventKind kind, int cpu, const FunctionRecord* records, size_t n) override;
    // Without a window or an observer, a function record is one hit unless
    // it is in interrupt context, or its task waits for a dispatch record
    // on `cpu`, or it may be an entry-path function (the tally's watch).
    FunctionTally* function_tally(int cpu) override;
    // From the first call on, a syscall named from its task's program is
    // counted only once every record up to its time is decoded (until then
    // it is held, tid, number and time, at most kMaxUnsettled of them): its
    // task's execs up to then are all known, so it is counted under the
    // program it ran, whichever CPU each record was on (TaskAbis).
    void on_decoded_through(uint64_t ts) override;

    // The programs tasks run (seed, exec reader) name syscalls where no
    // function record of the entry path said which ABI they entered through.
    TaskAbis& abis() { return *abis_; }
    // Function modes: the kernel's entry-path functions (EntryPathIndex::of
    // its kallsyms), so each syscall is named from the ABI its own entry took.
    void use_entry_path(EntryPathIndex index) { entry_ = std::move(index); }

    // Per (kind, role, name); function addresses resolved by `function_name`.
    // Syscalls are named from their ABI's table (syscall_name(SyscallAbi, nr)).
    std::vector<Hit> hits(const std::function<std::string(uint64_t)>& function_name = {}) const;
    SyscallAbiSources abi_sources() const;
    const CaptureTotals& totals() const { return totals_; }
    size_t distinct_keys() const { return counts_.size(); }

private:
    bool count_exit_reasons_ = true;
    CountObserver* observer_ = nullptr;
    // Key packing: hi = kind (8 bits) | tid (32) | sub (16), lo = id. `sub`
    // is a small qualifier (pio direction, mmio type, VMX/SVM); the kind
    // byte keeps hi from ever being all ones, FlatCounter's empty mark.
    static uint64_t pack_hi(SymbolKind kind, pid_t tid, int64_t sub) {
        return uint64_t(kind) << 56 | uint64_t(uint32_t(tid)) << 16 | (uint64_t(sub) & 0xffff);
    }
    __attribute__((always_inline)) void add(SymbolKind kind, pid_t tid, int64_t id, int64_t sub = 0) {
        counts_.add(pack_hi(kind, tid, sub), static_cast<uint64_t>(id));
    }

    // Syscall keys: sub = epoch (TaskAbis) << 2 | the ABI the entry path
    // showed (Unknown when none did; when it showed one, the epoch is 0:
    // not needed).
    void add_syscall(pid_t tid, int64_t nr, unsigned epoch, SyscallAbi seen) {
        add(SymbolKind::Syscall, tid, nr, int64_t(epoch) << 2 | int64_t(seen));
    }
    SyscallAbi abi_of_key(pid_t tid, int64_t nr, int64_t sub, SyscallAbiSources* sources, uint64_t n) const;
    void on_syscall(const TraceEvent& ev);
    // A syscall whose entry path said nothing: named from the program its
    // task ran at `ts` (held until that is settled, on_decoded_through).
    void count_by_program(pid_t tid, int64_t nr, uint64_t ts);
    void settle_through(uint64_t ts);
    // A function record inside the window: counted unless in interrupt context.
    void count_function(int cpu, pid_t pid, unsigned flags, uint64_t addr);
    // count_function for every record of a run with no window.
    void count_functions(int cpu, const FunctionRecord* r, const FunctionRecord* end);
    // One outside it: only what it says about a syscall's ABI is kept.
    void outside_function(int cpu, pid_t pid, unsigned flags, uint64_t addr);
    // Whether a function record matters to syscall naming: its task has a
    // syscall waiting for its dispatch record on this CPU, or the address
    // may be an entry-path function. Inline: false for nearly every record.
    bool entry_path_candidate(int cpu, pid_t pid, uint64_t addr) const {
        if (entry_.maybe_before(addr)) return true;
        const size_t c = static_cast<size_t>(cpu < 0 ? 0 : cpu);
        return c < pending_.size() && pending_[c].active && pending_[c].tid == pid;
    }
    void on_function(int cpu, pid_t pid, uint64_t addr);
    void flush_pending(size_t cpu);
    void ensure_cpu(int cpu);
    void mark_guest(pid_t tid);
    // A shard's hold on the shared task table and ABIs; nothing for the
    // aggregate itself, which no other thread touches.
    std::unique_lock<std::mutex> lock_shared() const {
        return shared_ ? std::unique_lock<std::mutex>(*shared_) : std::unique_lock<std::mutex>();
    }
    unsigned syscall_epoch(pid_t tid, uint64_t ts) {
        const auto lock = lock_shared();
        return abis_->on_syscall(tid, ts);
    }

    // Function modes: a sys_enter waits on its CPU for the dispatch record
    // that follows it (ia32_sys_call, __x64_sys_read, ...) for at most
    // kMaxWait function records of its task; a before-sys_enter function
    // (do_int80_syscall_32, older kernels) is held as a hint for the next one.
    static constexpr uint8_t kMaxWait = 64;
    struct Pending {
        bool active = false;
        uint8_t waited = 0;
        pid_t tid = 0;
        uint64_t ts = 0;
        int64_t nr = 0;
    };
    struct Unsettled {
        pid_t tid;
        int64_t nr;
        uint64_t ts;
    };
    // Held syscalls beyond which all are counted at once (about 6 MiB): a
    // reader that falls far behind bounds its memory, and TaskAbis's time
    // spans still mark what that may mix.
    static constexpr size_t kMaxUnsettled = size_t{1} << 18;
    struct Hint {
        bool active = false;
        SyscallAbi abi = SyscallAbi::Unknown;
        pid_t tid = 0;
    };

    TaskTable& tasks_;
    const CountWindow* window_;
    TaskAbis own_abis_;
    TaskAbis* abis_ = &own_abis_;      // a shard's are its parent's
    std::mutex* shared_ = nullptr;      // a shard's lock on tasks_ and *abis_
    std::vector<pid_t> guest_tids_;     // a shard's vCPU marks, for merge()
    EntryPathIndex entry_;
    std::vector<Pending> pending_;  // per CPU
    std::vector<Hint> hint_;        // per CPU
    bool settle_in_time_order_ = false;
    std::vector<Unsettled> unsettled_;
    FlatCounter counts_;
    CaptureTotals totals_;
    FunctionTally tally_{counts_, pack_hi(SymbolKind::Function, 0, 0), totals_.events, totals_.interrupt_excluded};
};

}  // namespace hap
