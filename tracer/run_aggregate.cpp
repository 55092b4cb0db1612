#include "run_aggregate.h"

#include <cstdio>
#include <map>
#include <tuple>

namespace hap {

void RunAggregate::on_gap(int) { ++totals_.gaps; }

void RunAggregate::on_event(const TraceEvent& ev) {
    ++totals_.events;
    // Task bookkeeping (fork, exec, exit) is kept whenever it happened.
    const bool adds_hits = ev.kind != EventKind::ProcessFork && ev.kind != EventKind::ProcessExec &&
                           ev.kind != EventKind::ProcessExit && ev.kind != EventKind::FuncGraphExit;
    if (window_ && adds_hits && !window_->contains(ev.ts)) {
        // A vCPU found by its kvm_exit before the window is still a vCPU.
        if (ev.kind == EventKind::KvmExit) tasks_.on_guest_exit(ev.pid);
        ++totals_.outside_window;
        return;
    }
    switch (ev.kind) {
        case EventKind::SyscallEnter: add(SymbolKind::Syscall, ev.pid, ev.a); break;
        case EventKind::ProcessFork: tasks_.on_fork(ev.pid, static_cast<pid_t>(ev.a), std::string(ev.comm)); break;
        case EventKind::ProcessExec: tasks_.on_comm(ev.pid, std::string(ev.comm)); break;
        case EventKind::ProcessExit: break;
        case EventKind::KvmExit:
            tasks_.on_guest_exit(ev.pid);
            add(SymbolKind::ExitReason, ev.pid, ev.a, ev.b);
            break;
        case EventKind::KvmHypercall: add(SymbolKind::Hypercall, ev.pid, ev.a); break;
        case EventKind::KvmPio: add(SymbolKind::Pio, ev.pid, ev.a, ev.b); break;
        case EventKind::KvmMmio: add(SymbolKind::Mmio, ev.pid, ev.a, ev.b); break;
        case EventKind::FunctionEntry:
        case EventKind::FuncGraphEntry:
            // Interrupt work runs in whatever task was current: it is not the
            // sandbox's doing. Excluded, but counted so the choice is visible.
            if (ev.flags & kInterruptContext) {
                ++totals_.interrupt_excluded;
                break;
            }
            add(SymbolKind::Function, ev.pid, ev.a);
            break;
        case EventKind::FuncGraphExit: break;
    }
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
            case SymbolKind::Syscall: name = syscall_name(k.id); break;
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
    std::vector<Hit> out;
    out.reserve(folded.size());
    for (auto& [k, n] : folded) out.push_back(Hit{std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
    return out;
}

}  // namespace hap
