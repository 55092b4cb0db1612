// The counting window (`hapctl trace --delay/--duration/SIGUSR1`) on the
// recorded capture of `sh -c 'ls / ; cat /proc/version; echo done'`
// (tests/fixtures/sh-ls-cat): records before and after the window are not
// counted, records inside are, and forks before the window still give the
// children their role.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "count_window.h"
#include "knob_snapshot.h"
#include "replay_source.h"
#include "run_aggregate.h"

using namespace hap;

namespace {
const std::string kCapture = std::string(HAP_FIXTURES) + "/sh-ls-cat";

// Every record of the capture, as the decoder delivers it.
struct Recorded {
    pid_t pid;
    EventKind kind;
    uint64_t ts;
    int64_t a;
    std::string comm;
};
struct RecordAll : EventSink {
    std::vector<Recorded> all;
    void on_event(const TraceEvent& ev) override { all.push_back({ev.pid, ev.kind, ev.ts, ev.a, std::string(ev.comm)}); }
};

std::vector<Recorded> recorded() {
    auto src = ReplaySource::open(kCapture);
    REQUIRE(src.ok());
    RecordAll sink;
    (*src)->drain(sink);
    std::sort(sink.all.begin(), sink.all.end(), [](const Recorded& x, const Recorded& y) { return x.ts < y.ts; });
    return sink.all;
}

struct Counted {
    TaskTable tasks;
    std::map<std::string, uint64_t> syscalls;  // name -> count, role workload
    std::set<std::string> unknown;             // syscalls of tasks without a role
    CaptureTotals totals;
};

Counted replay_in(const CountWindow* window) {
    auto src = ReplaySource::open(kCapture);
    REQUIRE(src.ok());
    Counted c;
    (*src)->seed_tasks(c.tasks);
    RunAggregate agg(c.tasks, window);
    (*src)->seed_abis(agg.abis());
    (*src)->drain(agg);
    for (const auto& h : agg.hits()) {
        if (h.kind != SymbolKind::Syscall) continue;
        if (h.role == Role::Workload) c.syscalls[h.name] += h.count;
        if (h.role == Role::Unknown) c.unknown.insert(h.name);
    }
    c.totals = agg.totals();
    return c;
}

uint64_t sum(const std::map<std::string, uint64_t>& m) {
    uint64_t n = 0;
    for (const auto& [k, v] : m) n += v;
    return n;
}

// The exec of `comm`: where the window of these tests opens or closes.
uint64_t exec_ts(const std::vector<Recorded>& all, const std::string& comm) {
    for (const auto& r : all)
        if (r.kind == EventKind::ProcessExec && r.comm == comm) return r.ts;
    FAIL("no exec of " << comm << " in the capture");
    return 0;
}

uint64_t syscalls_between(const std::vector<Recorded>& all, uint64_t from, uint64_t to) {
    uint64_t n = 0;
    for (const auto& r : all) n += r.kind == EventKind::SyscallEnter && r.ts >= from && r.ts < to;
    return n;
}
}  // namespace

TEST_CASE("a window opened at cat's exec counts cat and not ls, and cat keeps its role", "[window]") {
    const auto all = recorded();
    const uint64_t cat = exec_ts(all, "cat");
    CountWindow window;
    window.open_at(cat);
    const auto whole = replay_in(nullptr);
    const auto late = replay_in(&window);

    // Whole run: ls's getdents64 is there. From cat's exec on: gone.
    CHECK(whole.syscalls.count("getdents64") == 1);
    CHECK(late.syscalls.count("getdents64") == 0);
    // cat was forked before the window: its fork record still reached the
    // task table, so what it does inside the window is the workload's.
    CHECK(late.unknown.empty());
    for (const char* s : {"openat", "read", "close", "exit_group"}) CHECK(late.syscalls.count(s) == 1);
    // Exactly the sys_enter records stamped from the start on are counted;
    // the others are counted as left out, not lost.
    CHECK(sum(late.syscalls) == syscalls_between(all, cat, UINT64_MAX));
    CHECK(late.totals.outside_window == syscalls_between(all, 0, cat));
    CHECK(sum(late.syscalls) + late.totals.outside_window == sum(whole.syscalls));
    CHECK(late.totals.events == whole.totals.events);  // every record was still decoded
    CHECK(late.tasks.tasks().size() == whole.tasks.tasks().size());
}

TEST_CASE("a window with a duration stops counting at its end", "[window]") {
    const auto all = recorded();
    const uint64_t first = all.front().ts, cat = exec_ts(all, "cat");
    CountWindow window(cat - first);  // from the first record to cat's exec
    window.open_at(first);
    const auto early = replay_in(&window);
    CHECK(early.syscalls.count("getdents64") == 1);  // ls ran inside it
    CHECK(sum(early.syscalls) == syscalls_between(all, first, cat));
    CHECK(early.totals.outside_window == syscalls_between(all, cat, UINT64_MAX));
    CHECK(early.totals.outside_window > 0);
    REQUIRE(window.end());
    CHECK(*window.end() == cat);
}

TEST_CASE("a window that never opens counts nothing but still follows the forks", "[window]") {
    CountWindow never;
    const auto c = replay_in(&never);
    CHECK(c.syscalls.empty());
    CHECK(c.unknown.empty());
    CHECK(c.totals.outside_window == syscalls_between(recorded(), 0, UINT64_MAX));
    std::set<std::string> comms;
    for (const auto& [tid, t] : c.tasks.tasks()) comms.insert(t.comm);
    CHECK(comms.count("ls") == 1);
    CHECK(comms.count("cat") == 1);
}

TEST_CASE("of a delay deadline and a signal, the earlier opens the window", "[window]") {
    CountWindow w(5);
    CHECK_FALSE(w.start());
    CHECK_FALSE(w.contains(0));
    CHECK(w.open_at(100));   // the --delay deadline, set in advance
    CHECK(w.open_at(40));    // SIGUSR1 before it: earlier wins
    CHECK_FALSE(w.open_at(70));  // a later signal changes nothing
    CHECK(*w.start() == 40);
    CHECK_FALSE(w.contains(39));
    CHECK(w.contains(40));
    CHECK(w.contains(44));
    CHECK_FALSE(w.contains(45));  // [start, start + duration)
    CountWindow open_ended;
    open_ended.open_at(10);
    CHECK_FALSE(open_ended.end());
    CHECK(open_ended.contains(UINT64_MAX - 1));
}

TEST_CASE("trace_clock is restored by name, not as the list the file reads back", "[window]") {
    CHECK(value_to_restore("/sys/kernel/tracing/trace_clock", "[local] global counter uptime perf mono\n") == "local");
    CHECK(value_to_restore("/sys/kernel/tracing/trace_clock", "local global [mono] mono_raw\n") == "mono");
    CHECK(value_to_restore("/sys/kernel/tracing/buffer_size_kb", "1408\n") == "1408");
}
