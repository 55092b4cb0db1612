// The function_graph path on a capture recorded in the lab (Debian's stock
// 6.1.0-56 kernel under QEMU): `hapctl trace --mode function_graph --record
// ... -- /bin/cat /proc/version`, kept as tests/fixtures/fg-cat-6.1.tar.xz
// (see tests/fixtures/README.md) and unpacked into the build tree.
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "replay_fixture.h"
#include "replay_source.h"
#include "run_aggregate.h"
#include "symbol_names.h"

using namespace hap;

namespace {
const std::string kCapture = std::string(HAP_UNPACKED_FIXTURES) + "/fg-cat-6.1";

// Watches the records as the aggregate sees them.
struct Watch : EventSink {
    RunAggregate* agg = nullptr;
    uint64_t entries = 0, exits = 0, interrupt_entries = 0;
    int64_t max_depth = -1;
    std::set<int> pids;
    void on_event(const TraceEvent& ev) override {
        agg->on_event(ev);
        if (ev.kind == EventKind::FuncGraphEntry) {
            ++entries;
            max_depth = std::max(max_depth, ev.b);
            pids.insert(ev.pid);
            if (ev.flags & kInterruptContext) ++interrupt_entries;
        }
        if (ev.kind == EventKind::FuncGraphExit) ++exits;
    }
};

struct Replayed : test::ReplayedCapture {
    Watch watch;
    std::map<Role, std::set<std::string>> functions;  // raw names per role
};

std::unique_ptr<Replayed> replay() {
    auto r = test::open_replay<Replayed>(kCapture);
    r->watch.agg = &r->agg;
    r->src->drain(r->watch);
    for (const auto& h : r->agg.hits([&](uint64_t a) { return r->src->function_name(a); }))
        if (h.kind == SymbolKind::Function) r->functions[h.role].insert(h.name);
    return r;
}
}  // namespace

TEST_CASE("a function_graph capture replays whole: every record, entries and exits paired", "[function_graph]") {
    auto r = replay();
    CHECK(r->agg.totals().events == r->src->meta()["events"].get<uint64_t>());
    CHECK(r->src->truncated_bytes() == 0);
    CHECK(r->src->decoder_skipped() == 0);
    // Traced from cat's first instruction: only the calls it was inside when
    // tracing began (the return from fork) end without a recorded entry.
    CHECK(r->watch.entries > 30000);
    CHECK(r->watch.exits <= r->watch.entries);
    CHECK(r->watch.entries - r->watch.exits < 16);
    CHECK(r->watch.max_depth > 5);
    CHECK(r->watch.max_depth < 64);
}

TEST_CASE("functions are named from the recorded kernel's kallsyms", "[function_graph]") {
    auto r = replay();
    const auto& cat = r->functions[Role::Workload];
    CHECK(cat.size() > 800);
    // What `cat /proc/version` must reach: exec, the read of /proc/version
    // (version_proc_show is that file's show function), the write, the exit.
    for (const char* f : {"bprm_execve", "version_proc_show", "seq_read_iter", "ksys_write", "do_group_exit"})
        CHECK(cat.count(f) == 1);
    for (const auto& name : cat) CHECK(name.rfind("0x", 0) != 0);  // none left unnamed
}

TEST_CASE("interrupt work is cut by the records' context flags and counted", "[function_graph]") {
    auto r = replay();
    // Timer softirqs ran while cat was current (TCG is slow enough for ticks).
    CHECK(r->watch.interrupt_entries > 100);
    CHECK(r->agg.totals().interrupt_excluded == r->watch.interrupt_entries);
    // Scheduler load balancing runs only in the softirq: never counted as cat's.
    std::set<std::string> all;
    for (const auto& [role, names] : r->functions) all.insert(names.begin(), names.end());
    CHECK(all.count("run_rebalance_domains") == 0);
    CHECK(r->src->function_name(0) == "");
}

TEST_CASE("records of other tasks land in no sandbox role", "[function_graph]") {
    auto r = replay();
    // The tail of a context switch away from cat is recorded as the next task.
    CHECK(r->watch.pids.size() > 1);
    CHECK(r->functions[Role::Unknown].count("switch_mm_irqs_off") == 1);
    CHECK(r->functions[Role::Unknown].size() < 20);
}

TEST_CASE("raw names from the kernel normalise to their source function", "[function_graph]") {
    auto r = replay();
    std::set<std::string> suffixed, normalized;
    for (const auto& name : r->functions[Role::Workload]) {
        if (name.find('.') != std::string::npos) suffixed.insert(name);
        normalized.insert(normalize_function(name));
    }
    // GCC's clones (.isra.0, .constprop.0, .part.0) are in any 6.1 trace.
    REQUIRE(suffixed.size() >= 5);
    for (const auto& name : suffixed) CHECK(normalize_function(name).find('.') == std::string::npos);
    CHECK(normalize_function("finish_task_switch.isra.0") == "finish_task_switch");
    CHECK(normalized.count("finish_task_switch") == 1);
    CHECK(normalize_function("__x64_sys_read") == "sys_read");
    CHECK(normalized.size() <= r->functions[Role::Workload].size());
}
