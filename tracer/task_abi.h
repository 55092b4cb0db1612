// Which syscall ABI each traced task's program uses, for naming syscalls
// where no entry-path function record said (syscalls-only mode, or a record
// lost): the ELF class of the program a task exec'd, inherited over fork.
//
// Records reach the reader per CPU, not in time order: a task's first
// syscalls after exec can be decoded before its exec record when it moved
// CPU. So each syscall is counted under the task's exec "epoch" as known when
// it is decoded, and every epoch keeps the time span of its records. After
// the capture an epoch that holds records from before its exec, or after
// the next one, is mixed: its ABI is known only when both programs agree,
// else Unknown (say so, never guess).
//
// Limits: a 64-bit program that enters through int $0x80 is x86_64 here
// (only function records tell it apart); a task that exits before its exec
// record is decoded and was not seeded or hinted has an Unknown program.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
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
    // Epochs per task beyond which execs share the last one (marked mixed).
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
    // Per counted syscall record (the reader's hot path: no allocation once
    // the task is known): the epoch it is counted under.
    unsigned on_syscall(pid_t tid, uint64_t ts) {
        Task& t = task(tid);
        Epoch& e = t.epochs.back();
        if (ts < e.min_ts) e.min_ts = ts;
        if (ts > e.max_ts) e.max_ts = ts;
        return static_cast<unsigned>(t.epochs.size() - 1);
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
        std::vector<Epoch> epochs{Epoch{}};
    };
    Task& task(pid_t tid) {
        if (cached_ && cached_tid_ == tid) return *cached_;
        cached_tid_ = tid;
        cached_ = &tasks_[tid];  // element references survive rehashing
        return *cached_;
    }
    SyscallAbi own_abi(pid_t tid, unsigned epoch, int depth) const;

    ExecReader reader_;
    std::vector<ExecSeen> execs_seen_;
    std::vector<std::pair<pid_t, SyscallAbi>> seeds_;
    std::unordered_map<pid_t, Task> tasks_;
    pid_t cached_tid_ = 0;
    Task* cached_ = nullptr;
};

}  // namespace hap
