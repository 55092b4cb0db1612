// Function records handed over in runs (EventSink::on_function_run, issue 14)
// count exactly what one on_event per record counts: the same hits, totals,
// syscall ABIs and window, on every recorded function-level capture; and
// readers in parallel (parallel_replay.h) fold what one reader folds.
#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "parallel_replay.h"
#include "replay_fixture.h"

using namespace hap;

namespace {

// The aggregate fed one record at a time, as before runs existed.
struct OneByOne : EventSink {
    RunAggregate* agg = nullptr;
    void on_event(const TraceEvent& ev) override { agg->on_event(ev); }
    void on_gap(int cpu) override { agg->on_gap(cpu); }
    bool counts_only(EventKind k) const override { return agg->counts_only(k); }
    void on_counted(EventKind k, uint64_t n) override { agg->on_counted(k, n); }
};

// First and last record time of a capture.
struct Span : EventSink {
    uint64_t first = UINT64_MAX, last = 0;
    void on_event(const TraceEvent& ev) override {
        first = std::min(first, ev.ts);
        last = std::max(last, ev.ts);
    }
};

struct Result {
    std::vector<std::tuple<SymbolKind, Role, std::string, uint64_t>> hits;
    CaptureTotals totals;
    SyscallAbiSources abi;
};

Result replay(const std::string& dir, bool runs, const CountWindow* window) {
    TaskTable tasks;
    RunAggregate agg(tasks, window);
    auto src = ReplaySource::open(dir);
    REQUIRE(src.ok());
    (*src)->seed_tasks(tasks);
    (*src)->seed_abis(agg.abis());
    agg.use_entry_path((*src)->entry_path_index());
    OneByOne one;
    one.agg = &agg;
    if (runs)
        (*src)->drain(agg);
    else
        (*src)->drain(one);
    Result r;
    for (const auto& h : agg.hits([&](uint64_t a) { return (*src)->function_name(a); }))
        r.hits.emplace_back(h.kind, h.role, h.name, h.count);
    r.totals = agg.totals();
    r.abi = agg.abi_sources();
    return r;
}

void check_same(const Result& a, const Result& b) {
    CHECK(a.hits == b.hits);
    CHECK(a.totals.events == b.totals.events);
    CHECK(a.totals.interrupt_excluded == b.totals.interrupt_excluded);
    CHECK(a.totals.gaps == b.totals.gaps);
    CHECK(a.totals.outside_window == b.totals.outside_window);
    CHECK(a.abi.entry_path == b.abi.entry_path);
    CHECK(a.abi.program == b.abi.program);
    CHECK(a.abi.unknown == b.abi.unknown);
}

}  // namespace

TEST_CASE("Function records in runs count as one by one, whole and in a window", "[function_runs]") {
    for (const char* name : {"fg-cat-5.10", "fg-cat-6.1", "fg-cat-6.12", "vm-q35-redis-6.1"}) {
        const std::string dir = std::string(HAP_UNPACKED_FIXTURES) + "/" + name;
        INFO(name);
        const Result runs = replay(dir, true, nullptr), one = replay(dir, false, nullptr);
        REQUIRE(!runs.hits.empty());
        check_same(runs, one);

        // A window over the middle third: records on both sides of its edges.
        Span span;
        {
            auto src = ReplaySource::open(dir);
            REQUIRE(src.ok());
            (*src)->drain(span);
        }
        REQUIRE(span.last > span.first);
        const uint64_t third = (span.last - span.first) / 3;
        CountWindow window(third);
        window.open_at(span.first + third);
        const Result wruns = replay(dir, true, &window), wone = replay(dir, false, &window);
        CHECK(wruns.totals.outside_window > 0);
        CHECK(wruns.hits.size() < runs.hits.size());
        check_same(wruns, wone);
    }
}

TEST_CASE("Readers in parallel fold the same calls in the same order as one reader", "[function_runs][parallel]") {
    for (const char* name : {"fg-cat-5.10", "fg-cat-6.1", "fg-cat-6.12", "vm-q35-redis-6.1"}) {
        const std::string dir = std::string(HAP_UNPACKED_FIXTURES) + "/" + name;
        INFO(name);
        const Result one = replay(dir, true, nullptr);
        for (unsigned readers : {2u, 3u, 8u}) {
            INFO(readers << " readers");
            TaskTable tasks;
            RunAggregate agg(tasks);
            auto src = ReplaySource::open(dir);
            REQUIRE(src.ok());
            (*src)->seed_tasks(tasks);
            (*src)->seed_abis(agg.abis());
            agg.use_entry_path((*src)->entry_path_index());
            CHECK(drain_in_parallel(**src, agg, readers) == one.totals.events);
            Result par;
            for (const auto& h : agg.hits([&](uint64_t a) { return (*src)->function_name(a); }))
                par.hits.emplace_back(h.kind, h.role, h.name, h.count);
            par.totals = agg.totals();
            par.abi = agg.abi_sources();
            check_same(par, one);
            CHECK((*src)->truncated_bytes() == 0);
            CHECK((*src)->decoder_skipped() == 0);
        }
    }
    // Syscall and sched records (comm strings) from a capture of this host.
    const std::string sh = std::string(HAP_FIXTURES) + "/sh-ls-cat";
    auto seq = test::replay_capture(sh);
    auto par = test::open_replay(sh);
    drain_in_parallel(*par->src, par->agg, 2);
    CHECK(par->agg.totals().events == seq->agg.totals().events);
    const auto a = par->agg.hits(), b = seq->agg.hits();
    REQUIRE(a.size() == b.size());
    for (size_t i = 0; i < a.size(); ++i) CHECK((a[i].name == b[i].name && a[i].count == b[i].count && a[i].role == b[i].role));
    CHECK(par->tasks.tasks().size() == seq->tasks.tasks().size());
}
