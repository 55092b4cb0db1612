// Which syscall ABI each traced task's program uses, for naming syscalls
// where no entry-path function record said (syscalls-only mode, or a record
// lost): the ELF class of the program a task exec'd, inherited over fork.
//
// Records reach the reader per CPU, not in time order: a task's last
// syscalls before exec can be decoded after its exec record (exec moves a
// task to another CPU: sched_exec in fs/exec.c), and its first ones after
// exec before it, when it moved CPU again. So every task keeps its exec
// "epochs" with their exec times, and each syscall is counted under the
// epoch its timestamp falls in among the execs known when it is counted.
// A reader that counts only once every exec up to a syscall's time is
// decoded (RunAggregate::on_decoded_through, the live reader) or that knows
// the execs beforehand (known_exec, a replay) counts every syscall under its
// own program. Otherwise every epoch keeps the time span of its records and,
// after the capture, an epoch that holds records from after the next exec
// is mixed: its ABI is known only when both programs agree, else Unknown
// (say so, never guess).
//
// Limits: a 64-bit program that enters through int $0x80 is x86_64 here
// (only function records tell it apart); a task that exits before its exec
// record is decoded and was not seeded or hinted has an Unknown program.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "syscall_abi.h"

namespace hap {

class TaskAbis {
public:
    // Reads the ABI of the program `tid` just exec'd (live: exec_abi_from_proc);
    // none (a replay on another machine) leaves every exec Unknown.
    using ExecReader = std::function<SyscallAbi(pid_t tid, uint64_t ts, std::string_view filename, std::string_view comm)>;
    // Epochs per task beyond which an exec shares the epoch in force at its
    // time (marked mixed when the programs differ).
    static constexpr unsigned kMaxEpochs = 1u << 13;

    void set_exec_reader(ExecReader r) { reader_ = std::move(r); }
    // The program a discovered task runs when tracing starts.
    void seed(pid_t tid, SyscallAbi abi);
    // The program `tid`'s next exec loads, known to the caller (hapctl trace
    // forks its command and knows the path it execs): used when /proc no
    // longer tells, as for a command that exits before its exec is decoded.
    void expect_exec(pid_t tid, SyscallAbi abi);
    void on_fork(pid_t parent, pid_t child, uint64_t ts);
    void on_exec(pid_t tid, uint64_t ts, std::string_view filename, std::string_view comm);
    // An exec known before its record is decoded (a replay's capture meta
    // "syscall_abis"): its epoch exists from the start, so records on other
    // CPUs that are decoded first are counted under it; its record, when
    // decoded, adds nothing.
    void known_exec(pid_t tid, uint64_t ts, SyscallAbi abi);
    // Per counted syscall record (the reader's hot path: no allocation once
    // the task is known): the epoch it is counted under, the last exec at or
    // before `ts` among those known (ns, the ring buffer's clock).
    unsigned on_syscall(pid_t tid, uint64_t ts) {
        Task& t = task(tid);
        const unsigned k = t.in_time_order && t.epochs.back().exec_ts <= ts ? static_cast<unsigned>(t.epochs.size() - 1)
                                                                             : epoch_at(t, ts);
        Epoch& e = t.epochs[k];
        if (ts < e.min_ts) e.min_ts = ts;
        if (ts > e.max_ts) e.max_ts = ts;
        return k;
    }
    // The epoch on_syscall would count a record of `tid` at `ts` under,
    // without counting it (a syscall still held when the capture ends).
    unsigned epoch_of(pid_t tid, uint64_t ts) const {
        auto it = tasks_.find(tid);
        return it == tasks_.end() ? 0 : epoch_at(it->second, ts);
    }
    // After the capture: the ABI of `tid`'s syscalls counted under `epoch`.
    SyscallAbi abi_of(pid_t tid, unsigned epoch) const;

    // What was read live, so a recorded capture replays with the same
    // programs (capture meta "syscall_abis"; ReplaySource::seed_abis).
    struct ExecSeen {
        pid_t tid;
        uint64_t ts;
        SyscallAbi abi;
    };
    const std::vector<ExecSeen>& execs_seen() const { return execs_seen_; }
    const std::vector<std::pair<pid_t, SyscallAbi>>& seeds() const { return seeds_; }

private:
    enum class Origin : uint8_t { Inherited, Seeded, Exec };
    struct Epoch {
        Origin origin = Origin::Inherited;
        SyscallAbi abi = SyscallAbi::Unknown;
        bool overflow = false;  // later execs folded in (kMaxEpochs)
        uint64_t exec_ts = 0;
        uint64_t min_ts = UINT64_MAX, max_ts = 0;  // of the syscalls counted under it
    };
    struct Task {
        pid_t parent = 0;
        uint64_t fork_ts = 0;
        SyscallAbi expected = SyscallAbi::Unknown;
        bool in_time_order = true;  // each epoch's exec later than the one before
        std::vector<Epoch> epochs{Epoch{}};
    };
    Task& task(pid_t tid) {
        if (cached_ && cached_tid_ == tid) return *cached_;
        cached_tid_ = tid;
        cached_ = &tasks_[tid];  // element references survive rehashing
        return *cached_;
    }
    SyscallAbi own_abi(pid_t tid, unsigned epoch, int depth) const;
    // The epoch of `t` whose exec is the latest at or before `ts` (epoch 0,
    // exec_ts 0, when none is); epochs are in the order their execs were
    // decoded, which need not be their time order.
    static unsigned epoch_at(const Task& t, uint64_t ts);
    // A new epoch for an exec at `ts`; false when the task has kMaxEpochs
    // and the exec is folded into the epoch in force at `ts` (marked mixed
    // if the programs differ).
    bool add_epoch(Task& t, uint64_t ts, SyscallAbi abi);
    // The epoch whose exec comes next in time after epoch `k`'s, or none.
    static std::optional<unsigned> next_epoch(const Task& t, unsigned k);

    ExecReader reader_;
    std::vector<ExecSeen> execs_seen_;
    std::vector<std::pair<pid_t, SyscallAbi>> seeds_;
    std::unordered_map<pid_t, Task> tasks_;
    std::map<std::pair<pid_t, uint64_t>, SyscallAbi> known_execs_;  // known_exec's, by (tid, ts)
    pid_t cached_tid_ = 0;
    Task* cached_ = nullptr;
};

}  // namespace hap
