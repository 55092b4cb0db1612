// The retiring capture (issue 22): what may be retired, and the proof that
// retiring loses nothing a role reached. A simulated kernel drops the records
// of retired functions from a stream, as set_ftrace_notrace does; the
// per-role sets counted from what is left must equal those of the full stream.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "capture_mode.h"
#include "files.h"
#include "function_retirer.h"
#include "knob_snapshot.h"
#include "run_aggregate.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {

TraceEvent fn(int pid, uint64_t addr, unsigned flags = 0, uint64_t ts = 0) {
    return TraceEvent{EventKind::FunctionEntry, 0, pid, flags, ts, int64_t(addr), 0, {}, {}};
}
TraceEvent fork_ev(int parent, int child, uint64_t ts = 0) {
    return TraceEvent{EventKind::ProcessFork, 0, parent, 0, ts, child, 0, "child", {}};
}

using RoleSets = std::map<Role, std::set<std::string>>;
RoleSets sets_of(const RunAggregate& agg) {
    RoleSets s;
    for (const auto& h : agg.hits())
        if (h.kind == SymbolKind::Function && h.role != Role::Unknown) s[h.role].insert(h.name);
    return s;
}

// A kernel whose notrace list is `retired`: the retirer's writes land at
// once (the real writer batches, which only lets more records through).
struct SimulatedKernel {
    std::set<uint64_t> retired;
    bool delivers(const TraceEvent& ev) const {
        return ev.kind != EventKind::FunctionEntry || !retired.count(static_cast<uint64_t>(ev.a));
    }
};

struct Pair {
    TaskTable full_tasks, retire_tasks;
    RunAggregate full{full_tasks}, retiring{retire_tasks};
    SimulatedKernel kernel;
    FunctionRetirer retirer{retire_tasks, [this](uint64_t addr, uint64_t) {
                                kernel.retired.insert(addr);
                                return true;
                            }};
    Pair(const CountWindow* window = nullptr) : full(full_tasks, window), retiring(retire_tasks, window) {
        retiring.observe_counts(&retirer);
    }
    void seed(pid_t tid, Role r) {
        full_tasks.seed(tid, r, "t");
        retire_tasks.seed(tid, r, "t");
        retirer.expect_role(r);
    }
    void feed(const TraceEvent& ev) {
        full.on_event(ev);
        if (kernel.delivers(ev)) retiring.on_event(ev);
    }
};

}  // namespace

TEST_CASE("function_retire is a mode of its own, one tracer with function and function_graph", "[retire]") {
    auto m = parse_modes("function_retire,syscalls");
    REQUIRE(m);
    CHECK(modes_to_string(*m) == "function_retire,syscalls");
    CHECK(traces_functions(*m));
    CHECK(!parse_modes("function_retire,function"));
    CHECK(!parse_modes("function_graph,function_retire"));
    // auto never picks it: a full capture is what auto means.
    CHECK(resolve_auto({{CaptureMode::Function, true, {}}, {CaptureMode::FunctionRetire, true, {}}}).count(CaptureMode::FunctionRetire) == 0);
}

TEST_CASE("a function is retired only once every running role was counted reaching it", "[retire]") {
    Pair p;
    p.seed(10, Role::Runtime);
    p.seed(20, Role::Workload);
    p.feed(fn(10, 0x1000));
    CHECK(p.kernel.retired.empty());  // the workload has not reached it
    p.feed(fn(10, 0x1000));
    p.feed(fn(20, 0x1000));
    CHECK(p.kernel.retired == std::set<uint64_t>{0x1000});
    p.feed(fn(20, 0x1000));  // dropped by the kernel now
    auto s = sets_of(p.retiring);
    CHECK(s[Role::Runtime] == std::set<std::string>{"0x1000"});
    CHECK(s[Role::Workload] == std::set<std::string>{"0x1000"});
    CHECK(sets_of(p.full) == s);
}

TEST_CASE("interrupt records, unknown tasks and protected functions never retire", "[retire]") {
    Pair p;
    p.seed(1, Role::Workload);
    EntryPathIndex entry;
    entry.add(0x9000, 0x9100, EntryPathFunction{SyscallAbi::X86_64, false});
    entry.finish();
    p.retirer.protect(entry);
    p.feed(fn(1, 0x1000, kFlagHardirq));
    p.feed(fn(1, 0x2000, kFlagSoftirq));
    p.feed(fn(77, 0x3000));  // no role: a child whose fork record is still unread, or a stranger
    p.feed(fn(1, 0x9040));   // __x64_sys_read, say: names the ABI of each call
    CHECK(p.kernel.retired.empty());
    CHECK(p.retirer.skipped_unknown_role() == 1);
    // The child's fork record arrives: from now on its records count as its parent's role.
    p.feed(fork_ev(1, 77));
    p.feed(fn(77, 0x3000));
    CHECK(p.kernel.retired == std::set<uint64_t>{0x3000});
}

TEST_CASE("a role that comes late empties the list, and stale decisions are dropped", "[retire]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "w");
    std::vector<std::pair<uint64_t, uint64_t>> retired;  // addr, generation
    uint64_t generation = 0;
    FunctionRetirer r(tasks, [&](uint64_t a, uint64_t g) {
        retired.emplace_back(a, g);
        return true;
    });
    r.expect_role(Role::Workload, [&] { return ++generation; });
    CHECK(generation == 0);  // the first role is no change
    r.on_counted_function(1, 0x1000);
    REQUIRE(retired.size() == 1);
    tasks.seed(2, Role::Runtime, "r");
    r.expect_role(Role::Runtime, [&] { return ++generation; });
    CHECK(generation == 1);
    r.on_counted_function(1, 0x1000);  // un-retired: not again until the runtime reaches it
    CHECK(retired.size() == 1);
    r.on_counted_function(2, 0x1000);
    REQUIRE(retired.size() == 2);
    CHECK(retired[1] == std::make_pair(uint64_t(0x1000), uint64_t(1)));
}

TEST_CASE("nothing is retired before any role is known, nor outside the window", "[retire]") {
    {
        TaskTable tasks;
        tasks.seed(1, Role::Workload, "w");
        int calls = 0;
        FunctionRetirer r(tasks, [&](uint64_t, uint64_t) { return ++calls > 0; });
        r.on_counted_function(1, 0x1000);
        CHECK(calls == 0);
    }
    CountWindow window(100);
    Pair p(&window);
    p.seed(1, Role::Workload);
    p.feed(fn(1, 0x1000, 0, 5));  // before the window opens: not counted, so not retired
    CHECK(p.kernel.retired.empty());
    window.open_at(10);
    p.feed(fn(1, 0x1000, 0, 20));
    CHECK(p.kernel.retired == std::set<uint64_t>{0x1000});
    p.feed(fn(1, 0x2000, 0, 500));  // after it
    CHECK(p.kernel.retired.size() == 1);
    CHECK(sets_of(p.full) == sets_of(p.retiring));
}

TEST_CASE("retiring loses no function of any role (simulated streams)", "[retire]") {
    // Two roles, a forked child, interrupt records (the handlers' callees
    // are also reached in task context, so they get retired while the
    // handlers, only ever in interrupt context, keep coming), functions first
    // reached late, and records of a task not yet known.
    for (unsigned seed = 1; seed <= 40; ++seed) {
        std::mt19937 rng(seed);
        Pair p;
        p.seed(10, Role::Runtime);
        p.seed(20, Role::Workload);
        bool forked = false;
        for (int i = 0; i < 4000; ++i) {
            if (i == 1500) {
                p.feed(fork_ev(20, 21));
                forked = true;
            }
            const int who = int(rng() % 4);
            const pid_t pid = who == 0 ? 10 : who == 1 ? 20 : who == 2 ? 21 : 99;
            if (pid == 21 && !forked && rng() % 2) continue;
            // Hot functions early; rarer ones (bigger addresses) more often late.
            uint64_t addr = 0x1000 + 0x10 * (rng() % (i < 2000 ? 50 : 200));
            unsigned flags = 0;
            if (rng() % 10 == 0) {
                flags = rng() % 2 ? kFlagHardirq : kFlagSoftirq;
                if (rng() % 2) addr = 0x8000 + 0x10 * (rng() % 5);  // handlers: interrupt context only
            }
            p.feed(fn(pid, addr, flags));
        }
        INFO("seed " << seed);
        CHECK(sets_of(p.full) == sets_of(p.retiring));
        CHECK(!p.kernel.retired.empty());
        for (uint64_t a : p.kernel.retired) CHECK(a < 0x8000);  // no handler is ever retired
        CHECK(p.retiring.totals().interrupt_excluded > 0);
        CHECK(p.retiring.totals().events < p.full.totals().events);
    }
}

TEST_CASE("NotraceIndex maps addresses to available_filter_functions lines", "[retire]") {
    // Two static functions named dup in vmlinux, both traceable; a notrace
    // copy of `half` that kallsyms has and the filter list does not; a
    // module function; a disabled record's empty line (it keeps its index).
    const std::string aff = "alpha\ndup\nhalf\n\ndup\nbeta\nmodfn [kvm]\n";
    const std::string kallsyms =
        "ffffffff81000000 T alpha\n"
        "ffffffff81000100 t dup\n"
        "ffffffff81000200 t half\n"
        "ffffffff81000280 t half\n"
        "ffffffff81000300 t dup\n"
        "ffffffff81000400 T beta\n"
        "ffffffff81000500 T end_of_text\n"
        "ffffffffc0000000 t modfn\t[kvm]\n"
        "ffffffffc0000100 t modend\t[kvm]\n";
    auto idx = NotraceIndex::build(aff, Kallsyms::parse(kallsyms));
    CHECK(idx.lines() == 7);
    CHECK(idx.token(0xffffffff81000004) == "1");  // inside alpha (after an endbr64)
    CHECK(idx.token(0xffffffff81000104) == "2");
    CHECK(idx.token(0xffffffff81000304) == "5");  // the second dup: line 5, after the empty line
    CHECK(idx.token(0xffffffff81000404) == "6");
    CHECK(idx.token(0xffffffffc0000004) == "7");
    CHECK(idx.token(0xffffffff81000204).empty());  // half: two in kallsyms, one listed: which one is a guess
    CHECK(idx.token(0xfffffffff0000000).empty());
    idx.use_names();
    CHECK(idx.token(0xffffffff81000004) == "alpha");
    CHECK(idx.token(0xffffffff81000104).empty());  // a name two functions share would retire both
    CHECK(idx.token(0xffffffffc0000004) == "modfn");
}

TEST_CASE("NotraceWriter appends batches and a reset empties the file", "[retire]") {
    const fs::path dir = fs::temp_directory_path() / ("hap-notrace-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "set_ftrace_notrace").string();
    REQUIRE(write_file(path, "earlier\n"));
    {
        NotraceWriter w(path, std::chrono::milliseconds(20));
        w.submit("12", 0);
        w.submit("13", 0);
        for (int i = 0; i < 200 && w.stats().tokens_written < 2; ++i) ::usleep(10000);
        CHECK(*read_file(path) == "earlier\n12\n13\n");  // O_APPEND: earlier retirements stay
        const uint64_t g = w.reset();
        CHECK(g == 1);
        w.submit("14", 0);  // decided before the reset: dropped
        w.submit("15", g);
        for (int i = 0; i < 200 && w.stats().tokens_written < 3; ++i) ::usleep(10000);
        w.stop();
        CHECK(*read_file(path) == "\n15\n");
        CHECK(w.stats().resets == 1);
        CHECK(w.stats().batches >= 2);
    }
    fs::remove_all(dir);
}

TEST_CASE("a saved function list is written back in the form the kernel takes", "[retire]") {
    CHECK(value_to_restore("/sys/kernel/tracing/set_ftrace_notrace", "") == "");
    // How 6.1 reads an empty notrace list (seen in the lab).
    CHECK(value_to_restore("/sys/kernel/tracing/set_ftrace_notrace", "#### no functions disabled ####\n") == "");
    CHECK(value_to_restore("/sys/kernel/tracing/set_ftrace_notrace", "schedule\nkvm_vcpu_ioctl [kvm]\n") ==
          "schedule\nkvm_vcpu_ioctl:mod:kvm");
    CHECK(value_to_restore("/sys/kernel/tracing/set_ftrace_filter", "#### all functions enabled ####\n") == "");
}

TEST_CASE("in a VM sandbox a VMM thread's records wait until every vCPU thread has entered the guest", "[retire]") {
    // QEMU with two vCPUs: 10 is its main thread, 11 and 12 become vCPUs at
    // their first kvm_exit. The aggregate stores all of 11's records under
    // vcpu, those before its first exit too: counted then as vmm, a function
    // only 11 reached would have been retired for vmm, which never reached it.
    auto exit_ev = [](int pid) { return TraceEvent{EventKind::KvmExit, 0, pid, 0, 0, 1, 0, {}, {}}; };
    Pair p;
    p.seed(10, Role::Vmm);
    p.full_tasks.seed(11, Role::Vmm, "t");
    p.retire_tasks.seed(11, Role::Vmm, "t");
    p.full_tasks.seed(12, Role::Vmm, "t");
    p.retire_tasks.seed(12, Role::Vmm, "t");
    p.retirer.expect_vcpus(2);
    p.feed(fn(11, 0x1000));  // vCPU thread before its first exit
    p.feed(fn(10, 0x2000));
    p.feed(exit_ev(11));
    p.feed(fn(11, 0x2000));
    CHECK(p.kernel.retired.empty());  // 12 may still be a vCPU: no role is final
    CHECK(!p.retirer.roles_settled());
    p.feed(fn(12, 0x1000));
    p.feed(exit_ev(12));
    CHECK(p.retirer.roles_settled());
    // 0x2000: vmm (10) and vcpu (11) both reached it. 0x1000: only vCPUs did.
    CHECK(p.kernel.retired == std::set<uint64_t>{0x2000});
    p.feed(fn(10, 0x1000));  // the VMM's first: still traced, counted, and now retired
    CHECK(p.kernel.retired == std::set<uint64_t>{0x1000, 0x2000});
    p.feed(fn(12, 0x2000));  // dropped by the kernel
    auto s = sets_of(p.retiring);
    CHECK(s == sets_of(p.full));
    CHECK(s[Role::Vmm] == std::set<std::string>{"0x1000", "0x2000"});
    CHECK(s[Role::Vcpu] == std::set<std::string>{"0x1000", "0x2000"});
}
