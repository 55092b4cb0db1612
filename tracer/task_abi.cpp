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

void TaskAbis::known_exec(pid_t tid, uint64_t ts, SyscallAbi abi) {
    known_execs_[{tid, ts}] = abi;
    add_epoch(task(tid), ts, abi);
}

void TaskAbis::on_exec(pid_t tid, uint64_t ts, std::string_view filename, std::string_view comm) {
    if (auto k = known_execs_.find({tid, ts}); k != known_execs_.end()) {
        execs_seen_.push_back(ExecSeen{tid, ts, k->second});
        return;
    }
    Task& t = task(tid);
    SyscallAbi abi = reader_ ? reader_(tid, ts, filename, comm) : SyscallAbi::Unknown;
    if (abi == SyscallAbi::Unknown) abi = t.expected;
    t.expected = SyscallAbi::Unknown;  // the first exec only
    execs_seen_.push_back(ExecSeen{tid, ts, abi});
    add_epoch(t, ts, abi);
}

bool TaskAbis::add_epoch(Task& t, uint64_t ts, SyscallAbi abi) {
    if (t.epochs.size() >= kMaxEpochs) {
        // Folded into the epoch its records will be counted under.
        Epoch& before = t.epochs[epoch_at(t, ts)];
        if (before.abi != abi) before.overflow = true;
        return false;
    }
    Epoch e;
    e.origin = Origin::Exec;
    e.abi = abi;
    e.exec_ts = ts;
    if (ts < t.epochs.back().exec_ts) t.in_time_order = false;
    t.epochs.push_back(e);
    return true;
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
    return own_abi(t.parent, epoch_at(p->second, t.fork_ts), depth + 1);
}

unsigned TaskAbis::epoch_at(const Task& t, uint64_t ts) {
    unsigned best = 0;
    for (unsigned k = 1; k < t.epochs.size(); ++k)
        if (t.epochs[k].exec_ts <= ts && t.epochs[k].exec_ts >= t.epochs[best].exec_ts) best = k;
    return best;
}

std::optional<unsigned> TaskAbis::next_epoch(const Task& t, unsigned k) {
    std::optional<unsigned> next;
    for (unsigned j = 1; j < t.epochs.size(); ++j)
        if (j != k && t.epochs[j].exec_ts > t.epochs[k].exec_ts &&
            (!next || t.epochs[j].exec_ts < t.epochs[*next].exec_ts))
            next = j;
    return next;
}

SyscallAbi TaskAbis::abi_of(pid_t tid, unsigned epoch) const {
    const SyscallAbi abi = own_abi(tid, epoch, 0);
    auto it = tasks_.find(tid);
    if (it == tasks_.end() || abi == SyscallAbi::Unknown) return abi;
    const auto& ep = it->second.epochs;
    if (epoch >= ep.size()) return SyscallAbi::Unknown;
    const Epoch& e = ep[epoch];
    if (e.min_ts > e.max_ts) return abi;  // no syscall counted under it
    // Records of the next program, counted before its exec record was
    // decoded. (Records before this exec are never counted under it: the
    // epoch is chosen by time.)
    const auto next = next_epoch(it->second, epoch);
    if (next && e.max_ts > ep[*next].exec_ts && own_abi(tid, *next, 0) != abi) return SyscallAbi::Unknown;
    return abi;
}

}  // namespace hap
