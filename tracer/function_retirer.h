// The retiring capture (issue 22, CaptureMode::FunctionRetire): once a
// function has been counted for every role that runs, it is written into the
// session's set_ftrace_notrace, and ftrace turns its call site back into a
// NOP. HAP is a set per role: a second record of a function a role already
// has adds nothing to it, so the trace can stop paying for it.
//
// Three parts:
// - NotraceIndex: which token set_ftrace_notrace takes for a record's
//   address, exactly that function and no other;
// - FunctionRetirer: decides, from counted records only, when a function may
//   go (RunAggregate's CountObserver);
// - NotraceWriter: a thread that appends the tokens in batches.
//
// One instance, a function retired once every running role reached it (not
// one instance per role). On 6.1 each instance running the function tracer
// is an ftrace_ops of its own: a call site is a NOP only when no ops traces
// it, so per-role instances would make a function a NOP no sooner than this
// rule does, and while two ops trace anything every traced call site goes
// through the list function, which tests every ops's filters and pid. The
// lab test prints what a second, idle function instance costs a retiring
// one (tests/lab/guest/retire_checks.sh, "figure:" lines). What this rule
// costs instead: a function only one of several roles reaches is never
// retired; for the single-role reference cells (native, runc) nothing.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "error.h"
#include "kallsyms.h"
#include "syscall_abi.h"
#include "task_table.h"

namespace hap {

// Function record address -> the set_ftrace_notrace token for its function.
//
// Preferred: the function's index in available_filter_functions (1-based,
// Linux 5.1+): exact, and the kernel finds it by walking its record pages,
// where a name makes it look up every traceable function's name in kallsyms.
// A record's address is mapped to an index through kallsyms: the k-th
// function called NAME in one object (vmlinux or a module) in
// available_filter_functions, which the kernel lists in address order per
// object, is the k-th text symbol of that name and object in kallsyms. Where
// the two counts of a name differ (a notrace copy of a static function), the
// name is left unmapped: never retired, so never wrong.
// Fallback (when the probe() of indexes failed): the raw name, only where
// available_filter_functions holds it once. A normalised name, or a name two
// static functions share, would retire functions not reached.
class NotraceIndex {
public:
    static NotraceIndex build(std::string_view available_filter_functions, const Kallsyms& syms);
    // "" when the function containing `addr` cannot be written exactly.
    std::string token(uint64_t addr) const;
    bool by_index() const { return by_index_; }
    void use_names() { by_index_ = false; }
    size_t mapped() const { return fns_.size(); }
    size_t lines() const { return lines_; }
    // Up to `n` (index token, name) pairs spread over the table, for probe().
    std::vector<std::pair<std::string, std::string>> samples(size_t n) const;

private:
    struct Fn {
        uint64_t start, end;
        uint32_t index;    // line in available_filter_functions, from 1
        bool unique_name;  // the only line of that name
        std::string name;
    };
    std::vector<Fn> fns_;  // by start
    size_t lines_ = 0;
    bool by_index_ = true;
};

// Writes `samples` as indexes into `notrace` (a set_ftrace_notrace that must
// be empty), reads back which functions the kernel took, and empties it
// again. An error says what differed: then indexes are not what this kernel
// means by them, and the caller falls back to names.
Status probe_notrace_indexes(const std::string& notrace, const std::vector<std::pair<std::string, std::string>>& samples);

// Appends tokens to set_ftrace_notrace on a thread of its own, one open and
// close per batch: the kernel applies a write at close(), and each apply
// walks every ftrace record and patches kernel text (under TCG that flushes
// translated code), so one close per batch rather than per function. O_APPEND
// always: an O_TRUNC open would clear earlier retirements.
class NotraceWriter {
public:
    struct Stats {
        uint64_t tokens_written = 0;  // accepted by the kernel
        uint64_t batches = 0;
        uint64_t failed_batches = 0;  // a token refused: the rest of that batch stays traced
        uint64_t resets = 0;
        double write_seconds = 0;     // open to close, all batches
        double longest_batch_seconds = 0;
        std::string last_error;
    };
    NotraceWriter(std::string path, std::chrono::milliseconds every);
    ~NotraceWriter();
    NotraceWriter(const NotraceWriter&) = delete;
    NotraceWriter& operator=(const NotraceWriter&) = delete;

    // Queues `token` for the next batch, unless it was decided before the
    // last reset (its generation is older): the roles it was decided for
    // are no longer all the roles.
    void submit(std::string token, uint64_t generation);
    // Empties the file now (O_TRUNC) and drops what is queued; returns the new generation.
    uint64_t reset();
    uint64_t generation() const { return generation_.load(); }
    // Stops the thread; what is still queued is not written (the trace is over).
    void stop();
    Stats stats() const;

private:
    void run();
    void write_batch(std::vector<std::string>& batch);

    const std::string path_;
    const std::chrono::milliseconds every_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<std::string> queue_;
    std::atomic<uint64_t> generation_{0};
    bool stop_ = false;
    Stats stats_;
    std::thread thread_;
};

// Told by RunAggregate of every function record it counted (inside the
// window, not in interrupt context), and of tasks whose identity changed.
class CountObserver {
public:
    virtual ~CountObserver() = default;
    virtual void on_counted_function(pid_t tid, uint64_t addr) = 0;
    // A fork record for `tid`: a reused tid may now belong to another role.
    virtual void on_task_changed(pid_t /*tid*/) {}
    // A kvm_exit record of `tid` (TaskTable::on_guest_exit has marked it):
    // it runs a vCPU, whatever role it was counted under so far.
    virtual void on_guest_entered(pid_t /*tid*/) {}
};

// Decides what to retire. A function goes once each expected role has been
// counted reaching it, where a record's role is its task's role at the time
// it is counted. Never on a record of a task whose role is not known yet
// (`unknown`: a child whose fork record is still in another CPU's buffer),
// never on a protected function (the entry-path functions that name a
// syscall's ABI, when syscalls are captured too). Interrupt records and
// records outside the window never reach it (RunAggregate counts neither).
// Roles must not change once known. In a VM sandbox they do: a VMM thread
// becomes a vCPU at its first kvm_exit, and the aggregate stores all of its
// records, earlier ones included, under vcpu. So with expect_vcpus(n) a
// record of any task that has not entered the guest is kept aside (per task)
// until n vCPU threads have: then no other thread can become one, every role
// is final, and what was kept aside is counted under it. A VM sandbox whose
// vCPU count is not known is refused by the caller.
class FunctionRetirer : public CountObserver {
public:
    // `retire(addr, generation)`: false when the function cannot be written exactly.
    using RetireFn = std::function<bool(uint64_t addr, uint64_t generation)>;
    FunctionRetirer(const TaskTable& tasks, RetireFn retire) : tasks_(tasks), retire_(std::move(retire)) {}

    // A role that runs. Any thread, before its tasks are traced. A role new
    // while functions are retired calls `on_new_role` (which must empty the
    // notrace list and return the new generation): what was retired before
    // it came was not reached by it.
    void expect_role(Role r, const std::function<uint64_t()>& on_new_role = {});
    void protect(EntryPathIndex entry_path) { protected_ = std::move(entry_path); }
    // A VM sandbox whose VMM makes `vcpus` vCPU threads (> 0); expects the
    // vcpu role. Before anything is counted.
    void expect_vcpus(unsigned vcpus);

    void on_counted_function(pid_t tid, uint64_t addr) override;
    void on_task_changed(pid_t tid) override { role_cache_.erase(tid); }
    void on_guest_entered(pid_t tid) override;

    uint64_t retired() const { return retired_; }
    uint64_t unmapped() const { return unmapped_; }
    uint64_t skipped_unknown_role() const { return unknown_role_; }
    // VM sandboxes: whether all vCPU threads have been seen (roles final).
    bool roles_settled() const { return vcpus_expected_ == 0 || vcpus_found_.size() >= vcpus_expected_; }

private:
    static constexpr uint8_t kRetired = 0x80;
    static uint8_t bit(Role r) { return uint8_t(1u << unsigned(r)); }
    void reach(Role role, uint64_t addr, uint64_t generation);

    const TaskTable& tasks_;
    RetireFn retire_;
    EntryPathIndex protected_;
    std::atomic<uint8_t> expected_{0};
    std::atomic<uint64_t> generation_{0};
    uint64_t seen_generation_ = 0;
    std::unordered_map<uint64_t, uint8_t> reached_;  // record address -> roles | kRetired
    std::unordered_map<pid_t, Role> role_cache_;     // known roles only
    uint64_t retired_ = 0, unmapped_ = 0, unknown_role_ = 0;
    // VM sandboxes (expect_vcpus): until every vCPU thread has entered the
    // guest, what each other task reached, by task.
    unsigned vcpus_expected_ = 0;
    std::unordered_set<pid_t> vcpus_found_;
    std::unordered_map<pid_t, std::unordered_set<uint64_t>> unsettled_;
};

}  // namespace hap
