// Attribution and aggregation on a synthetic source (no kernel involved).
#include <catch2/catch.hpp>

#include "run_aggregate.h"
#include "synthetic_source.h"

using namespace hap;

namespace {
SyntheticEvent sys(int pid, int nr, unsigned flags = 0) { return {TraceEvent{EventKind::SyscallEnter, 0, pid, flags, 0, nr, 0, {}, {}}, ""}; }
SyntheticEvent fork_ev(int parent, int child, const char* comm) {
    return {TraceEvent{EventKind::ProcessFork, 1, parent, 0, 0, child, 0, {}, {}}, comm};
}
SyntheticEvent fn(int pid, int64_t addr, unsigned flags = 0) {
    return {TraceEvent{EventKind::FuncGraphEntry, 0, pid, flags, 0, addr, 1, {}, {}}, ""};
}
uint64_t count_of(const std::vector<Hit>& hits, SymbolKind k, Role r, const std::string& name) {
    for (const auto& h : hits)
        if (h.kind == k && h.role == r && h.name == name) return h.count;
    return 0;
}
}  // namespace

TEST_CASE("a child's role comes from its parent even when its records arrive first", "[aggregate]") {
    TaskTable tasks;
    tasks.seed(100, Role::Runtime, "runsc-sandbox");
    RunAggregate agg(tasks);
    agg.abis().seed(100, SyscallAbi::X86_64);
    // CPU 1's page (the child's read) decoded before CPU 0's fork record.
    SyntheticSource src({sys(200, 0), sys(200, 0), fork_ev(100, 200, "exe"), sys(100, 1)});
    CHECK(src.drain(agg) == 4);
    auto hits = agg.hits();
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Runtime, "read") == 2);
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Runtime, "write") == 1);
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Unknown, "read") == 0);
}

TEST_CASE("discovery wins over inheritance, and strangers are unknown", "[aggregate]") {
    TaskTable tasks;
    tasks.seed(10, Role::Runtime, "shim");
    tasks.seed(11, Role::Workload, "redis-server");
    RunAggregate agg(tasks);
    agg.abis().seed(11, SyscallAbi::X86_64);
    agg.abis().seed(999, SyscallAbi::X86_64);  // a stranger whose program is known
    SyntheticSource src({fork_ev(10, 11, "redis-server"), sys(11, 232), sys(999, 232)});
    src.drain(agg);
    auto hits = agg.hits();
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Workload, "epoll_wait") == 1);
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Unknown, "epoll_wait") == 1);
}

TEST_CASE("function records in interrupt context are excluded and counted", "[aggregate]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "w");
    RunAggregate agg(tasks);
    SyntheticSource src({fn(1, 0x1000), fn(1, 0x2000, kFlagHardirq), fn(1, 0x3000, kFlagSoftirq),
                         fn(1, 0x4000, kFlagNmi | kFlagHardirq), fn(1, 0x1000)});
    src.drain(agg);
    CHECK(agg.totals().interrupt_excluded == 3);
    auto hits = agg.hits([](uint64_t a) { return a == 0x1000 ? std::string("do_sys_openat2") : std::string(); });
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].name == "do_sys_openat2");
    CHECK(hits[0].count == 2);
}

TEST_CASE("memory follows distinct keys, not the number of events", "[aggregate]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "w");
    RunAggregate agg(tasks);
    std::vector<SyntheticEvent> evs;
    for (int i = 0; i < 100000; ++i) evs.push_back(sys(1, i % 7));
    SyntheticSource src(std::move(evs));
    src.drain(agg);
    CHECK(agg.totals().events == 100000);
    CHECK(agg.distinct_keys() == 7);
}

TEST_CASE("kvm events become hypercall, exit reason and port hits", "[aggregate]") {
    TaskTable tasks;
    tasks.seed(5, Role::Vcpu, "CPU 0/KVM");
    RunAggregate agg(tasks);
    SyntheticSource src({{TraceEvent{EventKind::KvmExit, 0, 5, 0, 0, 0x081, 2, {}, {}}, ""},
                         {TraceEvent{EventKind::KvmHypercall, 0, 5, 0, 0, 5, 0, {}, {}}, ""},
                         {TraceEvent{EventKind::KvmPio, 0, 5, 0, 0, 0x3f8, 1, {}, {}}, ""}});
    src.drain(agg);
    auto hits = agg.hits();
    CHECK(count_of(hits, SymbolKind::ExitReason, Role::Vcpu, "svm:vmmcall") == 1);
    CHECK(count_of(hits, SymbolKind::Hypercall, Role::Vcpu, "kick_cpu") == 1);
    CHECK(count_of(hits, SymbolKind::Pio, Role::Vcpu, "0x3f8:out") == 1);
}

TEST_CASE("a VMM thread that leaves the guest is a vCPU, whatever its name", "[aggregate][vm]") {
    // QEMU without debug-threads: discovery saw three threads named "qemu-system-x86"
    // and could only call them vmm; thread 302 runs the guest (kvm_exit).
    TaskTable tasks;
    tasks.seed(300, Role::Vmm, "qemu-system-x86");
    tasks.seed(301, Role::Vmm, "qemu-system-x86");
    tasks.seed(302, Role::Vmm, "qemu-system-x86");
    tasks.seed(400, Role::Backend, "vhost-300");
    RunAggregate agg(tasks);
    for (int tid : {300, 301, 302}) agg.abis().seed(tid, SyscallAbi::X86_64);
    auto exit_ev = [](int pid, int reason) {
        return SyntheticEvent{TraceEvent{EventKind::KvmExit, 0, pid, 0, 0, reason, 2, {}, {}}, ""};
    };
    // A vCPU thread born during the trace: its kvm_exit is decoded before its fork record.
    SyntheticSource src({exit_ev(302, 0x7b), sys(302, 16), sys(301, 7), exit_ev(303, 0x78), fork_ev(300, 303, "qemu-system-x86"),
                         sys(303, 16), exit_ev(400, 0x7b)});
    CHECK(src.drain(agg) == 7);
    CHECK(tasks.role_of(302) == Role::Vcpu);
    CHECK(tasks.role_of(303) == Role::Vcpu);
    CHECK(tasks.role_of(301) == Role::Vmm);
    CHECK(tasks.role_of(300) == Role::Vmm);
    CHECK(tasks.role_of(400) == Role::Backend);  // only a VMM thread becomes a vCPU
    auto hits = agg.hits();
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Vcpu, "ioctl") == 2);
    CHECK(count_of(hits, SymbolKind::Syscall, Role::Vmm, "poll") == 1);
}

TEST_CASE("shards of readers in parallel merge into what one aggregate counts", "[aggregate][parallel]") {
    // Reader A has the fork and the parent's functions; reader B the
    // child's syscalls and a vCPU's exit, decoded before A's fork record.
    auto kvm_exit = [](int pid) {
        return SyntheticEvent{TraceEvent{EventKind::KvmExit, 0, pid, 0, 0, 30, 1, {}, {}}, ""};
    };
    std::vector<SyntheticEvent> a = {fork_ev(100, 200, "worker"), fn(100, 0x1000), fn(100, 0x1000), fn(100, 0x2000, kFlagHardirq)};
    std::vector<SyntheticEvent> b = {sys(200, 0), sys(200, 0), fn(200, 0x1000), kvm_exit(300)};

    TaskTable one_tasks;
    one_tasks.seed(100, Role::Runtime, "runtime");
    RunAggregate one(one_tasks);
    one.abis().seed(100, SyscallAbi::X86_64);
    std::vector<SyntheticEvent> all = b;
    all.insert(all.end(), a.begin(), a.end());
    SyntheticSource(all).drain(one);

    TaskTable tasks;
    tasks.seed(100, Role::Runtime, "runtime");
    RunAggregate parent(tasks);
    parent.abis().seed(100, SyscallAbi::X86_64);
    std::mutex shared;
    RunAggregate shard_a(parent, shared), shard_b(parent, shared);
    SyntheticSource(b).drain(shard_b);
    SyntheticSource(a).drain(shard_a);
    parent.merge(shard_a);
    parent.merge(shard_b);

    auto name = [](uint64_t addr) { return addr == 0x1000 ? std::string("do_sys_openat2") : std::string(); };
    const auto want = one.hits(name), got = parent.hits(name);
    CHECK(count_of(got, SymbolKind::Syscall, Role::Runtime, "read") == 2);
    CHECK(count_of(got, SymbolKind::Function, Role::Runtime, "do_sys_openat2") == 3);
    REQUIRE(got.size() == want.size());
    for (size_t i = 0; i < got.size(); ++i)
        CHECK((got[i].kind == want[i].kind && got[i].role == want[i].role && got[i].name == want[i].name &&
               got[i].count == want[i].count));
    CHECK(parent.totals().events == one.totals().events);
    CHECK(parent.totals().interrupt_excluded == 1);
    // The vCPU mark a shard kept reached the shared task table at merge.
    REQUIRE(tasks.tasks().count(300) == 1);
    CHECK(tasks.tasks().at(300).entered_guest);
}
