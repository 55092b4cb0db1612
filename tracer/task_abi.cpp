#include "task_abi.h"

namespace hap {

void TaskAbis::seed(pid_t tid, SyscallAbi abi) {
    Epoch& e = task(tid).epochs.front();
    e.origin = Origin::Seeded;
    e.abi = abi;
    seeds_.emplace_back(tid, abi);
}

void TaskAbis::expect_exec(pid_t tid, SyscallAbi abi) { task(tid).expected = abi; }

void TaskAbis::on_fork(pid_t parent, pid_t child, uint64_t ts) {
    Task& c = task(child);
    if (c.epochs.front().origin == Origin::Seeded) return;  // discovery read its program
    c.parent = parent;
    c.fork_ts = ts;
}

void TaskAbis::on_exec(pid_t tid, uint64_t ts, std::string_view filename, std::string_view comm) {
    SyscallAbi abi = reader_ ? reader_(tid, ts, filename, comm) : SyscallAbi::Unknown;
    Task& t = task(tid);
    if (abi == SyscallAbi::Unknown) abi = t.expected;
    t.expected = SyscallAbi::Unknown;  // the first exec only
    execs_seen_.push_back(ExecSeen{tid, ts, abi});
    if (t.epochs.size() >= kMaxEpochs) {
        Epoch& last = t.epochs.back();
        if (last.abi != abi) last.overflow = true;
        return;
    }
    Epoch e;
    e.origin = Origin::Exec;
    e.abi = abi;
    e.exec_ts = ts;
    t.epochs.push_back(e);
}

SyscallAbi TaskAbis::own_abi(pid_t tid, unsigned epoch, int depth) const {
    auto it = tasks_.find(tid);
    if (it == tasks_.end() || depth > 64) return SyscallAbi::Unknown;  // 64: a cycle through reused pids
    const Task& t = it->second;
    if (epoch >= t.epochs.size()) return SyscallAbi::Unknown;
    const Epoch& e = t.epochs[epoch];
    if (e.overflow) return SyscallAbi::Unknown;
    if (e.origin != Origin::Inherited) return e.abi;
    if (t.parent == 0) return SyscallAbi::Unknown;  // a stranger: nothing said what it runs
    // The parent's program when it forked, by time: its exec records may
    // have been decoded after the fork record.
    auto p = tasks_.find(t.parent);
    if (p == tasks_.end()) return SyscallAbi::Unknown;
    unsigned pe = 0;
    for (unsigned k = 1; k < p->second.epochs.size(); ++k)
        if (p->second.epochs[k].exec_ts <= t.fork_ts) pe = k;
    return own_abi(t.parent, pe, depth + 1);
}

SyscallAbi TaskAbis::abi_of(pid_t tid, unsigned epoch) const {
    const SyscallAbi abi = own_abi(tid, epoch, 0);
    auto it = tasks_.find(tid);
    if (it == tasks_.end() || abi == SyscallAbi::Unknown) return abi;
    const auto& ep = it->second.epochs;
    if (epoch >= ep.size()) return SyscallAbi::Unknown;
    const Epoch& e = ep[epoch];
    if (e.min_ts > e.max_ts) return abi;  // no syscall counted under it
    // Records of the program before this exec, decoded after it.
    if (epoch > 0 && e.min_ts < e.exec_ts && own_abi(tid, epoch - 1, 0) != abi) return SyscallAbi::Unknown;
    // Records of the next program, decoded before its exec.
    if (epoch + 1 < ep.size() && e.max_ts > ep[epoch + 1].exec_ts && own_abi(tid, epoch + 1, 0) != abi)
        return SyscallAbi::Unknown;
    return abi;
}

}  // namespace hap
