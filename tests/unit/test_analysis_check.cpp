// The regression gate, diff, merge and chart data on run sets written
// through the Store API: a baseline, an identical candidate, and a candidate
// that reaches more functions.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>

#include "cell_figures.h"
#include "chart_files.h"
#include "regression_check.h"
#include "set_diff.h"
#include "store_fixture.h"

using namespace hap;

namespace {

struct RunSpec {
    std::string runtime, kernel, mode;
    int rep;
    std::vector<std::string> functions, syscalls;
};

void add_run(Store& s, const RunSpec& spec, const std::string& uuid_tag) {
    RunStart r = sample_run(spec.runtime, spec.rep);
    r.uuid += "-" + uuid_tag + "-" + spec.kernel + "-" + spec.mode;
    r.mode = spec.mode;
    r.kernel = {spec.kernel, "#1 SMP Debian", "x86_64", 50000};
    auto id = s.begin_run(r);
    REQUIRE(id.ok());
    RunOutcome o;
    for (const auto& f : spec.functions) o.hits.push_back({"function", "workload", f, f, 1});
    for (const auto& f : spec.syscalls) o.hits.push_back({"syscall", "workload", f, f, 1});
    o.throughput = 40000 + 1000 * spec.rep;
    o.throughput_unit = "requests/s";
    REQUIRE(s.complete_run(*id, o).ok());
}

// Three repetitions of runc and runsc on `kernel`, reaching 40 (runc) and 20
// (runsc) functions, plus `extra` more per repetition. runc's repetition 2
// misses one function unless `rep2_full`.
void record_set(Store& s, const std::string& kernel, int extra, const std::string& tag, bool rep2_full = false) {
    const std::vector<std::string> base = {
        "tcp_sendmsg", "tcp_recvmsg", "tcp_poll", "sock_poll", "ep_poll", "do_epoll_wait", "ksys_read", "vfs_read",
        "ksys_write", "vfs_write", "__fget_light", "fput", "futex_wait", "futex_wake", "schedule", "__schedule",
        "pick_next_task_fair", "enqueue_task_fair", "dequeue_task_fair", "update_curr", "try_to_wake_up",
        "ext4_file_read_iter", "ext4_da_write_begin", "kmem_cache_alloc", "kfree", "__alloc_pages", "handle_mm_fault",
        "do_anonymous_page", "copy_page_to_iter", "_copy_from_user", "tcp_push", "ip_queue_xmit", "ip_finish_output2",
        "dev_queue_xmit", "netif_rx", "__skb_datagram_iter", "skb_release_data", "sk_stream_alloc_skb",
        "security_socket_sendmsg", "apparmor_socket_sendmsg"};
    for (int rep = 1; rep <= 3; ++rep) {
        std::vector<std::string> runc(base.begin(), base.end() - (rep == 2 && !rep2_full ? 1 : 0));
        std::vector<std::string> runsc(base.begin(), base.begin() + 20);
        for (int i = 0; i < extra; ++i) {
            runc.push_back("vhost_new_fn" + std::to_string(i));
            runsc.push_back("kvm_new_fn" + std::to_string(i));
        }
        add_run(s, {"runc", kernel, "function_graph", rep, runc, {}}, tag);
        add_run(s, {"runsc", kernel, "function_graph", rep, runsc, {}}, tag);
    }
}

std::vector<Cell> cells_of(Store& s) {
    auto c = load_cells(s, {});
    REQUIRE(c.ok());
    return *c;
}

}  // namespace

TEST_CASE("check passes on identical run sets", "[analysis][check]") {
    TempDb a, b;
    auto base = std::move(Store::open(a.path).value());
    auto cand = std::move(Store::open(b.path).value());
    record_set(*base, "6.1.0-28-amd64", 0, "base");
    record_set(*cand, "6.1.0-28-amd64", 0, "cand");
    auto r = check_regression(cells_of(*base), cells_of(*cand), 5.0);
    REQUIRE(r.ok());
    CHECK(r->passed());
    REQUIRE(r->cells.size() == 2);
    for (const auto& c : r->cells) {
        CHECK(c.figure == "hap_fn");
        CHECK(*c.increase_pct == Approx(0));
        CHECK(c.added.empty());
        CHECK_FALSE(c.regression);
    }
}

TEST_CASE("check fails when the candidate kernel adds functions beyond the threshold", "[analysis][check]") {
    TempDb a, b;
    auto base = std::move(Store::open(a.path).value());
    auto cand = std::move(Store::open(b.path).value());
    record_set(*base, "6.1.0-28-amd64", 0, "base");
    record_set(*cand, "6.12.9-amd64", 4, "cand");  // runc +4/39.67 = +10.1%, runsc +4/20 = +20%
    auto strict = check_regression(cells_of(*base), cells_of(*cand), 10.0);
    REQUIRE(strict.ok());
    CHECK_FALSE(strict->passed());
    for (const auto& c : strict->cells) {
        CHECK(c.regression);
        CHECK(c.added.size() == 4);
        CHECK(c.candidate.kernel == "6.12.9-amd64");
    }
    auto lenient = check_regression(cells_of(*base), cells_of(*cand), 15.0);
    REQUIRE(lenient.ok());
    CHECK_FALSE(lenient->passed());
    int regressions = 0;
    for (const auto& c : lenient->cells) regressions += c.regression;
    CHECK(regressions == 1);  // only runsc grew by more than 15%
    CHECK(check_regression(cells_of(*base), cells_of(*cand), 25.0)->passed());
}

TEST_CASE("check tells noise from growth: beyond the baseline's repetitions and its union", "[analysis][check]") {
    TempDb a, b, c;
    auto base = std::move(Store::open(a.path).value());
    auto noise = std::move(Store::open(b.path).value());
    auto grown = std::move(Store::open(c.path).value());
    record_set(*base, "6.1.0-28-amd64", 0, "base");          // runc 40, 39, 40: mean 39.67, max 40, union 40
    record_set(*noise, "6.1.0-28-amd64", 0, "noise", true);  // runc 40, 40, 40: +0.8%, nothing new
    record_set(*grown, "6.12.9-amd64", 4, "grown");          // runc 44, 43, 44: +10.1%, four new functions
    auto runc = [](const CheckResult& r) {
        for (const auto& v : r.cells)
            if (v.baseline.runtime == "runc") return v;
        FAIL("no runc cell");
        return CellVerdict{};
    };
    // The percentage alone fires on noise...
    auto by_threshold = check_regression(cells_of(*base), cells_of(*noise), 0.0, "", FailOn::Threshold);
    REQUIRE(by_threshold.ok());
    const CellVerdict n = runc(*by_threshold);
    CHECK(n.before_max == 40);
    CHECK(n.before_union == 40);
    CHECK(n.after == Approx(40));
    CHECK(n.beyond_threshold);
    // +0.33 against Welch's bound: t(2 df) 4.30 x sqrt(0.33/3 + 0) = 1.43.
    REQUIRE(n.noise_bound.has_value());
    CHECK(*n.noise_bound == Approx(4.303 * std::sqrt(1.0 / 9)).epsilon(0.01));
    CHECK_FALSE(n.beyond_repetitions);
    CHECK_FALSE(n.beyond_union);
    CHECK(n.regression);
    CHECK(n.added.empty());
    // ...the default (both spreads) does not.
    auto by_both = check_regression(cells_of(*base), cells_of(*noise), 0.0, "", FailOn::Both);
    REQUIRE(by_both.ok());
    CHECK(by_both->passed());
    // Growth beyond the largest repetition and the union fails every verdict,
    // and names what is new.
    for (FailOn f : {FailOn::Threshold, FailOn::Repetitions, FailOn::Union, FailOn::Both}) {
        auto r = check_regression(cells_of(*base), cells_of(*grown), 0.0, "", f);
        REQUIRE(r.ok());
        const CellVerdict g = runc(*r);
        CHECK(g.beyond_repetitions);
        CHECK(g.beyond_union);
        CHECK(g.regression);
        CHECK(g.added.size() == 4);
        CHECK(g.added.front() == "vhost_new_fn0");
    }
    // The threshold still applies with the spreads: +10.1% is below 15%.
    CHECK(check_regression(cells_of(*base), cells_of(*grown), 15.0, "", FailOn::Both)->cells.size() == 2);
    CHECK_FALSE(runc(*check_regression(cells_of(*base), cells_of(*grown), 15.0, "", FailOn::Both)).regression);
    CHECK(parse_fail_on("both") == FailOn::Both);
    CHECK(parse_fail_on("union") == FailOn::Union);
    CHECK_FALSE(parse_fail_on("all").has_value());
}

TEST_CASE("check refuses empty sets, different modes, and reports missing cells", "[analysis][check]") {
    TempDb a, b, c;
    auto base = std::move(Store::open(a.path).value());
    auto cand = std::move(Store::open(b.path).value());
    auto empty = std::move(Store::open(c.path).value());
    record_set(*base, "6.1.0-28-amd64", 0, "base");
    CHECK(check_regression(cells_of(*base), cells_of(*empty), 5).error().message == "the candidate has no complete runs");
    add_run(*cand, {"runc", "6.12.9-amd64", "syscalls", 1, {}, {"read", "write"}}, "cand");
    auto modes = check_regression(cells_of(*base), cells_of(*cand), 5);
    REQUIRE_FALSE(modes.ok());
    CHECK(modes.error().message.find("different modes") != std::string::npos);
    add_run(*cand, {"runc", "6.12.9-amd64", "function_graph", 1, {"tcp_sendmsg"}, {}}, "cand");
    auto missing = check_regression(cells_of(*base), cells_of(*cand), 5);
    REQUIRE(missing.ok());
    REQUIRE(missing->missing.size() == 1);  // runsc has no candidate runs
    CHECK_FALSE(missing->passed());
}

TEST_CASE("across modes, check pairs cells whatever their mode and asks for equality", "[analysis][check]") {
    // function_retire against a full function capture: a retiring run that
    // missed functions is as wrong as one that found more.
    TempDb a, b;
    auto base = std::move(Store::open(a.path).value());
    auto cand = std::move(Store::open(b.path).value());
    const std::vector<std::string> fns = {"tcp_sendmsg", "tcp_recvmsg", "tcp_poll", "sock_poll", "ep_poll", "vfs_read",
                                          "vfs_write", "schedule", "kfree", "futex_wait"};
    for (int rep = 1; rep <= 3; ++rep) {
        std::vector<std::string> full(fns.begin(), fns.end() - (rep == 2 ? 1 : 0));
        add_run(*base, {"runc", "6.1.0-28-amd64", "function", rep, full, {}}, "base");
        add_run(*cand, {"runc", "6.1.0-28-amd64", "function_retire", rep, full, {}}, "same");
    }
    CHECK_FALSE(check_regression(cells_of(*base), cells_of(*cand), 0).ok());  // not silently
    auto same = check_regression(cells_of(*base), cells_of(*cand), 0, "", FailOn::Repetitions, nullptr, true);
    REQUIRE(same.ok());
    REQUIRE(same->cells.size() == 1);
    CHECK(same->cells[0].candidate.mode == "function_retire");
    CHECK_FALSE(same->cells[0].beyond_repetitions);
    CHECK(same->passed());
    // A candidate that lost three functions in every repetition: beyond either way.
    TempDb c;
    auto fewer = std::move(Store::open(c.path).value());
    for (int rep = 1; rep <= 3; ++rep)
        add_run(*fewer, {"runc", "6.1.0-28-amd64", "function_retire", rep, std::vector<std::string>(fns.begin(), fns.end() - 3 - (rep == 2)), {}},
                "fewer");
    auto lost = check_regression(cells_of(*base), cells_of(*fewer), 0, "", FailOn::Repetitions, nullptr, true);
    REQUIRE(lost.ok());
    CHECK(lost->cells[0].beyond_repetitions);
    CHECK(lost->cells[0].beyond_threshold);
    CHECK_FALSE(lost->passed());
    // The same loss within one mode is no regression: check asks about growth there.
    CHECK_FALSE(check_regression(cells_of(*base), cells_of(*base), 0, "", FailOn::Repetitions)->cells[0].beyond_repetitions);
}

TEST_CASE("diff lists names added and removed, unmapped without a source map, on one mode", "[analysis][diff]") {
    TempDb a;
    auto s = std::move(Store::open(a.path).value());
    add_run(*s, {"runc", "6.1.0-28-amd64", "function_graph", 1, {"tcp_sendmsg", "ext4_sync_file", "schedule"}, {}}, "a");
    add_run(*s, {"runc", "6.12.9-amd64", "function_graph", 1, {"tcp_sendmsg", "vhost_poll_queue", "kvm_vcpu_ioctl", "schedule"}, {}}, "b");
    auto old_k = *load_run_sets(*s, RunSelection{"", "", "", "6.1.0-28-amd64", ""});
    auto new_k = *load_run_sets(*s, RunSelection{"", "", "", "6.12.9-amd64", ""});
    auto d = diff_run_sets(old_k, new_k);
    REQUIRE(d.ok());
    REQUIRE(d->size() == 1);
    const FigureDiff& fn = d->front();
    CHECK(fn.before == 3);
    CHECK(fn.after == 4);
    CHECK(fn.added() == 2);
    CHECK(fn.removed() == 1);
    // No kernel has a source map: every name is unmapped, none guessed.
    CHECK(fn.by_subsystem.at("unmapped").added == std::vector<std::string>{"kvm_vcpu_ioctl", "vhost_poll_queue"});
    CHECK(fn.by_subsystem.at("unmapped").removed == std::vector<std::string>{"ext4_sync_file"});
    CHECK(fn.by_directory.at("unmapped").added.size() == 2);
    CHECK(fn.renamed.empty());

    add_run(*s, {"runc", "6.12.9-amd64", "syscalls", 2, {}, {"read"}}, "c");
    auto mixed = *load_run_sets(*s, RunSelection{"", "", "", "6.12.9-amd64", ""});
    CHECK(diff_run_sets(old_k, mixed).error().message.find("mixes runs of different modes") != std::string::npos);
    CHECK(diff_run_sets({}, new_k).error().message == "the first run set has no complete runs");
}

TEST_CASE("merge copies runs once, matching hosts, kernels and symbols", "[analysis][merge]") {
    TempDb a, b, into;
    {
        auto sa = std::move(Store::open(a.path).value());
        auto sb = std::move(Store::open(b.path).value());
        record_set(*sa, "6.1.0-28-amd64", 0, "host-a");
        record_set(*sb, "6.1.0-28-amd64", 2, "host-b");
        REQUIRE(sb->import_complexity("6.1.0-28-amd64", {{"tcp_sendmsg", 12}}, "t").ok());
    }
    auto dst = std::move(Store::open(into.path).value());
    auto first = dst->merge_from(a.path);
    INFO((first.ok() ? "" : first.error().describe()));
    REQUIRE(first.ok());
    CHECK(first->runs == 6);
    CHECK(first->hosts == 1);
    CHECK(first->kernels == 1);
    auto second = dst->merge_from(b.path);
    REQUIRE(second.ok());
    CHECK(second->runs == 6);
    CHECK(second->hosts == 0);    // same machine id
    CHECK(second->kernels == 0);  // same release, version, arch
    CHECK(second->symbols == 4);  // vhost_new_fn0..1, kvm_new_fn0..1
    CHECK(second->complexity_tables == 1);
    auto again = dst->merge_from(a.path);
    REQUIRE(again.ok());
    CHECK(again->runs == 0);
    CHECK(again->runs_skipped == 6);
    CHECK(dst->runs()->size() == 12);
    CHECK(dst->kernels()->size() == 1);
    // Hits came along: the merged cell's figures equal the sources'.
    auto cells = cells_of(*dst);
    REQUIRE(cells.size() == 2);
    CHECK(cells[0].figure("hap_fn")->stat.n == 6);
    CHECK(dst->complexity("6.1.0-28-amd64")->at("tcp_sendmsg") == 12);
}

TEST_CASE("merge refuses a file that is not a hap database and changes nothing", "[analysis][merge]") {
    TempDb foreign, into;
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(foreign.path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto dst = std::move(Store::open(into.path).value());
    auto r = dst->merge_from(foreign.path);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("not a hap database") != std::string::npos);
    {
        std::ofstream text(foreign.path + ".txt");
        text << "hello, not sqlite at all, long enough to have a header........................................";
    }
    auto t = dst->merge_from(foreign.path + ".txt");
    std::filesystem::remove(foreign.path + ".txt");
    REQUIRE_FALSE(t.ok());
    CHECK(dst->runs()->empty());
}

TEST_CASE("bar chart data: a row per workload, mean and CI per runtime", "[analysis][chart]") {
    TempDb a;
    auto s = std::move(Store::open(a.path).value());
    record_set(*s, "6.1.0-28-amd64", 0, "x");
    ChartSpec spec;
    spec.figure = "hap_fn";
    auto dat = bar_chart_data(cells_of(*s), spec);
    CHECK(dat.find("workload \"runc\" low high \"runsc\" low high\n") != std::string::npos);
    // runc: 40, 39, 40 -> mean 39.667, sd 0.577, CI half-width 4.303*0.577/sqrt(3) = 1.434
    CHECK(dat.find("\"redis\" 39.667 38.232 41.101 20.000 20.000 20.000  # n: 3 3\n") != std::string::npos);
    // Two kernels in one chart are refused.
    record_set(*s, "6.12.9-amd64", 0, "y");
    spec.prefix = "/nonexistent/never-written";
    auto refused = write_bar_chart(cells_of(*s), spec);
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().message.find("2 kernels") != std::string::npos);
}

TEST_CASE("tradeoff chart: untraced throughput where a cell has it, traced and marked where not", "[analysis][chart]") {
    TempDb a;
    auto s = std::move(Store::open(a.path).value());
    record_set(*s, "6.1.0-28-amd64", 0, "x");
    // runc's three runs get an untraced baseline; runsc's none.
    auto runs = s->runs();
    REQUIRE(runs.ok());
    for (const auto& r : *runs)
        if (r.runtime == "runc") {
            auto st = s->record_untraced(r.id, 90000.0 + 3000 * r.repetition, "{}");
            INFO((st.ok() ? "" : st.error().describe()));
            REQUIRE(st.ok());
        }
    auto cells = cells_of(*s);
    REQUIRE(cells.size() == 2);
    const Cell& runc = cells[0].key.runtime == "runc" ? cells[0] : cells[1];
    REQUIRE(runc.throughput_untraced);
    CHECK(runc.throughput_untraced->mean == Approx(96000));
    CHECK(runc.throughput->mean == Approx(42000));  // the traced figure keeps its meaning
    ChartSpec spec;
    spec.figure = "hap_fn";
    spec.errors = ErrorBars::minmax;
    auto dat = tradeoff_chart_data(cells, spec);
    CHECK(dat.find("\"runc redis\" 96000.000 93000.000 99000.000 39.667 39.000 40.000\n") != std::string::npos);
    CHECK(dat.find("\"runsc redis (traced)\" 42000.000 41000.000 43000.000 20.000 20.000 20.000\n") != std::string::npos);
    std::vector<const Cell*> both = {&cells[0], &cells[1]}, only_runc = {&runc};
    CHECK(tradeoff_axis(both).name.find("where the label says (traced)") != std::string::npos);
    CHECK(tradeoff_axis(only_runc).name == "untraced throughput");
    const Cell& runsc = &runc == &cells[0] ? cells[1] : cells[0];
    std::vector<const Cell*> only_runsc = {&runsc};
    CHECK(tradeoff_axis(only_runsc).name == "throughput while traced");
}
