#include "run_aggregate.h"

#include <cstdio>
#include <map>
#include <tuple>

namespace hap {

RunAggregate::RunAggregate(RunAggregate& parent, std::mutex& shared)
    : count_exit_reasons_(parent.count_exit_reasons_), tasks_(parent.tasks_), window_(parent.window_), abis_(parent.abis_),
      shared_(&shared), entry_(parent.entry_) {}

void RunAggregate::merge(RunAggregate& shard) {
    counts_.merge(shard.counts_);
    totals_.events += shard.totals_.events;
    totals_.interrupt_excluded += shard.totals_.interrupt_excluded;
    totals_.gaps += shard.totals_.gaps;
    totals_.outside_window += shard.totals_.outside_window;
    for (pid_t tid : shard.guest_tids_) tasks_.on_guest_exit(tid);
    // Each CPU is one reader's: its syscall still waiting for a dispatch
    // record moves over as it is.
    for (size_t c = 0; c < shard.pending_.size(); ++c)
        if (shard.pending_[c].active) {
            ensure_cpu(static_cast<int>(c));
            pending_[c] = shard.pending_[c];
        }
    // (A shard holds syscalls only if its reader said what was delivered.)
    unsettled_.insert(unsettled_.end(), shard.unsettled_.begin(), shard.unsettled_.end());
}

void RunAggregate::mark_guest(pid_t tid) {
    if (!shared_) {
        tasks_.on_guest_exit(tid);
        if (observer_) observer_->on_guest_entered(tid);
        return;
    }
    // Once per exit record: kept here (vCPU threads are few) and handed over.
    if (!guest_tids_.empty() && guest_tids_.back() == tid) return;
    for (pid_t t : guest_tids_)
        if (t == tid) return;
    guest_tids_.push_back(tid);
}

void RunAggregate::on_gap(int) { ++totals_.gaps; }

void RunAggregate::on_event(const TraceEvent& ev) {
    ++totals_.events;
    // Task bookkeeping (fork, exec, exit) is kept whenever it happened.
    const bool adds_hits = ev.kind != EventKind::ProcessFork && ev.kind != EventKind::ProcessExec &&
                           ev.kind != EventKind::ProcessExit && ev.kind != EventKind::FuncGraphExit;
    if (window_ && adds_hits && !window_->contains(ev.ts)) {
        // A vCPU found by its kvm_exit before the window is still a vCPU.
        if (ev.kind == EventKind::KvmExit) mark_guest(ev.pid);
        // An entry-path function after the window's end still says which
        // ABI a syscall inside it entered through (ia32_sys_call, ...).
        if (ev.kind == EventKind::FunctionEntry || ev.kind == EventKind::FuncGraphEntry) {
            outside_function(ev.cpu, ev.pid, ev.flags, static_cast<uint64_t>(ev.a));
            return;
        }
        ++totals_.outside_window;
        return;
    }
    switch (ev.kind) {
        case EventKind::SyscallEnter: on_syscall(ev); break;
        case EventKind::ProcessFork: {
            const auto lock = lock_shared();
            tasks_.on_fork(ev.pid, static_cast<pid_t>(ev.a), std::string(ev.comm));
            if (observer_) observer_->on_task_changed(static_cast<pid_t>(ev.a));
            abis_->on_fork(ev.pid, static_cast<pid_t>(ev.a), ev.ts);
            break;
        }
        case EventKind::ProcessExec: {
            const auto lock = lock_shared();
            tasks_.on_comm(ev.pid, std::string(ev.comm));
            abis_->on_exec(ev.pid, ev.ts, ev.path, ev.comm);
            break;
        }
        case EventKind::ProcessExit: break;
        case EventKind::KvmExit:
            mark_guest(ev.pid);
            if (count_exit_reasons_) add(SymbolKind::ExitReason, ev.pid, ev.a, ev.b);
            break;
        case EventKind::KvmHypercall: add(SymbolKind::Hypercall, ev.pid, ev.a); break;
        case EventKind::KvmPio: add(SymbolKind::Pio, ev.pid, ev.a, ev.b); break;
        case EventKind::KvmMmio: add(SymbolKind::Mmio, ev.pid, ev.a, ev.b); break;
        case EventKind::FunctionEntry:
        case EventKind::FuncGraphEntry: count_function(ev.cpu, ev.pid, ev.flags, static_cast<uint64_t>(ev.a)); break;
        case EventKind::FuncGraphExit: break;
    }
}

__attribute__((always_inline)) inline void RunAggregate::count_function(int cpu, pid_t pid, unsigned flags, uint64_t addr) {
    // Interrupt work runs in whatever task was current: it is not the
    // sandbox's doing. Excluded, but counted so the choice is visible.
    if (flags & kInterruptContext) {
        ++totals_.interrupt_excluded;
        return;
    }
    if (!entry_.empty() && entry_path_candidate(cpu, pid, addr)) on_function(cpu, pid, addr);
    add(SymbolKind::Function, pid, static_cast<int64_t>(addr));
    if (observer_) observer_->on_counted_function(pid, addr);
}

void RunAggregate::count_functions(int cpu, const FunctionRecord* r, const FunctionRecord* end) {
    // count_function for a run, with what cannot change inside it asked
    // once: whether there are entry-path functions at all, and whether a
    // syscall waits on this CPU (a run holds no sys_enter, so none starts
    // waiting; one that stops waiting is seen after on_function).
    if (observer_) {  // live and retiring: record by record, the observer told of each
        for (; r != end; ++r) count_function(cpu, r->pid, r->flags, r->addr);
        return;
    }
    uint64_t interrupts = 0;
    if (entry_.empty()) {
        for (; r != end; ++r) {
            if (r->flags & kInterruptContext) {
                ++interrupts;
                continue;
            }
            add(SymbolKind::Function, r->pid, static_cast<int64_t>(r->addr));
        }
        totals_.interrupt_excluded += interrupts;
        return;
    }
    const size_t c = static_cast<size_t>(cpu < 0 ? 0 : cpu);
    auto waiting = [&] { return c < pending_.size() && pending_[c].active; };
    bool wait = waiting();
    for (; r != end; ++r) {
        if (r->flags & kInterruptContext) {
            ++interrupts;
            continue;
        }
        if (entry_.maybe_before(r->addr) || (wait && pending_[c].tid == r->pid)) {
            on_function(cpu, r->pid, r->addr);
            wait = waiting();
        }
        add(SymbolKind::Function, r->pid, static_cast<int64_t>(r->addr));
    }
    totals_.interrupt_excluded += interrupts;
}

void RunAggregate::outside_function(int cpu, pid_t pid, unsigned flags, uint64_t addr) {
    // An entry-path function after the window's end still says which
    // ABI a syscall inside it entered through (ia32_sys_call, ...).
    if (!entry_.empty() && !(flags & kInterruptContext) && entry_path_candidate(cpu, pid, addr))
        on_function(cpu, pid, addr);
    ++totals_.outside_window;
}

void RunAggregate::on_function_run(EventKind, int cpu, const FunctionRecord* records, size_t n) {
    totals_.events += n;
    const FunctionRecord* end = records + n;
    if (!window_) {
        count_functions(cpu, records, end);
        return;
    }
    for (const FunctionRecord* r = records; r != end; ++r) {
        if (window_->contains(r->ts))
            count_function(cpu, r->pid, r->flags, r->addr);
        else
            outside_function(cpu, r->pid, r->flags, r->addr);
    }
}

FunctionTally* RunAggregate::function_tally(int cpu) {
    if (window_ || observer_) return nullptr;  // each record is looked at: runs
    const size_t c = static_cast<size_t>(cpu < 0 ? 0 : cpu);
    const bool waiting = c < pending_.size() && pending_[c].active;
    tally_.watch(&entry_, waiting ? FunctionTally::tid_key(pending_[c].tid) : FunctionTally::kNobody);
    return &tally_;
}

void RunAggregate::ensure_cpu(int cpu) {
    const size_t need = static_cast<size_t>(cpu < 0 ? 0 : cpu) + 1;
    if (pending_.size() < need) {
        pending_.resize(need);
        hint_.resize(need);
    }
}

void RunAggregate::flush_pending(size_t cpu) {
    Pending& p = pending_[cpu];
    if (!p.active) return;
    count_by_program(p.tid, p.nr, p.ts);
    p.active = false;
}

void RunAggregate::count_by_program(pid_t tid, int64_t nr, uint64_t ts) {
    if (!settle_in_time_order_) return add_syscall(tid, nr, syscall_epoch(tid, ts), SyscallAbi::Unknown);
    if (unsettled_.size() >= kMaxUnsettled) settle_through(UINT64_MAX);
    unsettled_.push_back(Unsettled{tid, nr, ts});
}

void RunAggregate::on_decoded_through(uint64_t ts) {
    settle_in_time_order_ = true;
    settle_through(ts);
}

void RunAggregate::settle_through(uint64_t ts) {
    size_t kept = 0;
    for (const Unsettled& u : unsettled_) {
        if (u.ts <= ts)
            add_syscall(u.tid, u.nr, syscall_epoch(u.tid, u.ts), SyscallAbi::Unknown);
        else
            unsettled_[kept++] = u;
    }
    unsettled_.resize(kept);
}

void RunAggregate::on_syscall(const TraceEvent& ev) {
    if (entry_.empty()) {
        count_by_program(ev.pid, ev.a, ev.ts);
        return;
    }
    ensure_cpu(ev.cpu);
    const size_t cpu = static_cast<size_t>(ev.cpu < 0 ? 0 : ev.cpu);
    flush_pending(cpu);
    Hint& h = hint_[cpu];
    if (h.active && h.tid == ev.pid) {
        h.active = false;
        add_syscall(ev.pid, ev.a, 0, h.abi);  // the entry path said: no epoch needed
        return;
    }
    h.active = false;
    pending_[cpu] = Pending{true, 0, ev.pid, ev.ts, ev.a};
}

void RunAggregate::on_function(int cpu_id, pid_t pid, uint64_t addr) {
    const size_t cpu = static_cast<size_t>(cpu_id < 0 ? 0 : cpu_id);
    const bool waiting = cpu < pending_.size() && pending_[cpu].active && pending_[cpu].tid == pid;
    const EntryPathFunction* f = entry_.find(addr);
    if (waiting) {
        Pending& p = pending_[cpu];
        if (f && !f->before_sys_enter) {
            add_syscall(p.tid, p.nr, 0, f->abi);
            p.active = false;
            return;
        }
        // The next syscall's entry, or too long without a dispatch record:
        // this one is named from the task's program.
        if (f || ++p.waited >= kMaxWait) flush_pending(cpu);
        if (!f) return;
    }
    if (f && f->before_sys_enter) {
        ensure_cpu(cpu_id);
        hint_[cpu] = Hint{true, f->abi, pid};
    }
}

SyscallAbi RunAggregate::abi_of_key(pid_t tid, int64_t nr, int64_t sub, SyscallAbiSources* sources, uint64_t n) const {
    const SyscallAbi seen = SyscallAbi(sub & 3);
    SyscallAbi abi = seen != SyscallAbi::Unknown ? seen : abis_->abi_of(tid, static_cast<unsigned>(sub >> 2));
    const SyscallAbi eff = effective_abi(abi, nr);
    if (sources) {
        SyscallAbiSources& s = *sources;
        if (seen != SyscallAbi::Unknown) s.entry_path += n;
        else if (eff == SyscallAbi::X32 && abi != SyscallAbi::X32) s.x32_bit += n;
        else if (eff != SyscallAbi::Unknown) s.program += n;
        else s.unknown += n;
    }
    return eff;
}

SyscallAbiSources RunAggregate::abi_sources() const {
    SyscallAbiSources s;
    counts_.for_each([&](uint64_t hi, uint64_t lo, uint64_t n) {
        if (SymbolKind(hi >> 56) != SymbolKind::Syscall) return;
        abi_of_key(pid_t(uint32_t(hi >> 16)), int64_t(lo), int64_t(hi & 0xffff), &s, n);
    });
    for (const auto& p : pending_)
        if (p.active) abi_of_key(p.tid, p.nr, int64_t(abis_->epoch_of(p.tid, p.ts)) << 2, &s, 1);
    for (const auto& u : unsettled_) abi_of_key(u.tid, u.nr, int64_t(abis_->epoch_of(u.tid, u.ts)) << 2, &s, 1);
    return s;
}

std::vector<Hit> RunAggregate::hits(const std::function<std::string(uint64_t)>& function_name) const {
    std::map<std::tuple<SymbolKind, Role, std::string>, uint64_t> folded;
    counts_.for_each([&](uint64_t hi, uint64_t lo, uint64_t n) {
        struct {
            SymbolKind kind;
            pid_t tid;
            int64_t id, sub;
        } k{SymbolKind(hi >> 56), pid_t(uint32_t(hi >> 16)), int64_t(lo), int64_t(hi & 0xffff)};
        std::string name;
        switch (k.kind) {
            case SymbolKind::Syscall: name = syscall_name(abi_of_key(k.tid, k.id, k.sub, nullptr, 0), k.id); break;
            case SymbolKind::Hypercall: name = hypercall_name(k.id); break;
            case SymbolKind::ExitReason: name = exit_reason_name(k.id, k.sub); break;
            case SymbolKind::Pio: {
                char buf[32];
                std::snprintf(buf, sizeof buf, "0x%llx:%s", static_cast<unsigned long long>(k.id), k.sub ? "out" : "in");
                name = buf;
                break;
            }
            case SymbolKind::Mmio: {
                char buf[40];
                std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(k.id));
                name = buf;
                break;
            }
            case SymbolKind::Function: {
                if (function_name) name = function_name(static_cast<uint64_t>(k.id));
                if (name.empty()) {
                    char buf[32];
                    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(k.id));
                    name = buf;
                }
                break;
            }
        }
        folded[{k.kind, tasks_.role_of(k.tid), name}] += n;
    });
    // Syscalls still waiting for their dispatch record, or still held for
    // their task's program, when the capture ended.
    auto fold_held = [&](pid_t tid, int64_t nr, uint64_t ts) {
        const int64_t sub = int64_t(abis_->epoch_of(tid, ts)) << 2;
        folded[{SymbolKind::Syscall, tasks_.role_of(tid), syscall_name(abi_of_key(tid, nr, sub, nullptr, 0), nr)}] += 1;
    };
    for (const auto& p : pending_)
        if (p.active) fold_held(p.tid, p.nr, p.ts);
    for (const auto& u : unsettled_) fold_held(u.tid, u.nr, u.ts);
    std::vector<Hit> out;
    out.reserve(folded.size());
    for (auto& [k, n] : folded) out.push_back(Hit{std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
    return out;
}

}  // namespace hap
