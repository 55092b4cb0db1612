// Cells and their figures on function-level runs written through the Store
// API (the lab will record real ones later), and HAP_cc from a complexity
// table sampled with pmccabe from Debian's linux-source-6.1.
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cell_figures.h"
#include "chart_files.h"
#include "complexity_csv.h"
#include "long_export.h"
#include "store_fixture.h"

using namespace hap;

namespace {

const std::string kKernel = "6.1.0-28-amd64";

// A complete function_graph run reaching `workload_fns` as the workload and
// `backend_fns` as a vhost backend task.
int64_t add_function_run(Store& s, const std::string& runtime, int rep, const std::vector<std::string>& workload_fns,
                         const std::vector<std::string>& backend_fns = {}, const std::string& mode = "function_graph",
                         const std::string& kernel = kKernel, std::optional<int64_t> traceable = 48000) {
    RunStart r = sample_run(runtime, rep);
    r.uuid += "-" + mode + "-" + kernel;
    r.mode = mode;
    r.kernel = {kernel, "#1 SMP Debian", "x86_64", traceable};
    auto id = s.begin_run(r);
    REQUIRE(id.ok());
    RunOutcome o;
    for (const auto& f : workload_fns) o.hits.push_back({"function", "workload", f + ".isra.0", f, 3});
    for (const auto& f : backend_fns) o.hits.push_back({"function", "backend", f, f, 1});
    // The sandbox's tasks: a workload, and a vhost worker where there is backend work.
    o.tasks.push_back({100, 0, "workload", "redis-server", true});
    if (!backend_fns.empty()) o.tasks.push_back({200, 0, "backend", "vhost-100", true});
    o.throughput = 1000.0 * rep;
    o.throughput_unit = "requests/s";
    REQUIRE(s.complete_run(*id, o).ok());
    return *id;
}

std::vector<std::string> names(const std::string& prefix, int n) {
    std::vector<std::string> v;
    for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
    return v;
}

}  // namespace

TEST_CASE("a cell has n, mean, sd, union over repetitions, per role and in total", "[analysis][cells]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    add_function_run(*s, "kata", 1, names("tcp_f", 10), {"vhost_a", "vhost_b"});
    add_function_run(*s, "kata", 2, names("tcp_f", 12), {"vhost_a"});
    add_function_run(*s, "kata", 3, names("tcp_f", 14), {"vhost_a", "vhost_c"});
    auto cells = load_cells(*s, {});
    REQUIRE(cells.ok());
    REQUIRE(cells->size() == 1);
    const Cell& c = cells->front();
    CHECK(c.key.runtime == "kata");
    CHECK(c.run_ids.size() == 3);
    const FigureStat* fn = c.figure("hap_fn");
    REQUIRE(fn);
    CHECK(fn->stat.n == 3);
    CHECK(fn->stat.mean == Approx(41.0 / 3));  // 12, 13, 16 unique names
    CHECK(fn->stat.min == 12);
    CHECK(fn->stat.max == 16);
    CHECK(*fn->stat.sd == Approx(2.0817).epsilon(1e-3));
    CHECK(fn->union_count == 17);  // tcp_f0..13 + vhost_a, b, c
    CHECK(c.figure("hap_fn:workload")->stat.mean == Approx(12));
    CHECK(c.figure("hap_fn:backend")->union_count == 3);
    CHECK_FALSE(c.figure("hap_fn:runtime"));  // no runtime task: not applicable, so absent
    CHECK(c.figure("backend")->stat.mean == Approx(5.0 / 3));
    CHECK_FALSE(c.figure("hap_sys"));  // not captured in this mode: absent, not 0
    REQUIRE(c.traceable_share());
    CHECK(*c.traceable_share() == Approx(41.0 / 3 / 48000));
    // One per address, as the kernel lists them (here no same-named twins).
    CHECK(std::string(c.traceable_share_figure()) == "hap_fn_raw");
    CHECK(c.throughput->mean == Approx(2000));
}

TEST_CASE("only complete runs count, and modes and kernels never share a cell", "[analysis][cells]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    add_function_run(*s, "runc", 1, names("f", 5));
    add_function_run(*s, "runc", 2, names("f", 50), {}, "function");
    add_function_run(*s, "runc", 3, names("f", 7), {}, "function_graph", "6.12.9-amd64", std::nullopt);
    auto running = s->begin_run(sample_run("runc", 4));
    REQUIRE(running.ok());
    auto failed = *s->begin_run(sample_run("runc", 5));
    REQUIRE(s->end_run(failed, "failed", "boom").ok());
    auto cells = *load_cells(*s, {});
    REQUIRE(cells.size() == 3);
    for (const auto& c : cells) {
        CHECK(c.run_ids.size() == 1);
        if (c.key.kernel == "6.12.9-amd64") CHECK_FALSE(c.traceable_share());
    }
    auto only = *load_cells(*s, RunSelection{"", "", "", kKernel, "function"});
    REQUIRE(only.size() == 1);
    CHECK(only[0].figure("hap_fn")->stat.mean == 50);
}

TEST_CASE("figure sets key hypercalls and exit reasons apart and skip uncaptured kinds", "[analysis][cells]") {
    std::vector<StoredHit> hits = {{"syscall", "runtime", "futex", "futex", 2},
                                   {"hypercall", "vcpu", "5", "5", 1},
                                   {"exit_reason", "vcpu", "5", "5", 9},
                                   {"function", "workload", "tcp_sendmsg", "tcp_sendmsg", 1}};
    auto sets = figure_sets("syscalls,kvm", hits, {"runtime", "vmm", "vcpu"});
    CHECK(sets["hap_sys"].size() == 1);
    CHECK(sets["hap_hc"].size() == 2);
    CHECK(sets["hap_hc:vcpu"].size() == 2);
    CHECK_FALSE(sets.count("hap_fn"));
}

TEST_CASE("a role the sandbox did not have is not applicable: absent, never 0", "[analysis][cells]") {
    const std::vector<StoredHit> hits = {{"function", "workload", "tcp_sendmsg", "tcp_sendmsg", 1},
                                         {"function", "vmm", "kvm_vcpu_ioctl", "kvm_vcpu_ioctl", 3}};
    // A container: one role, no backend figure at all.
    auto container = figure_sets("function_graph", hits, {"workload"});
    CHECK(container.count("hap_fn:workload"));
    CHECK_FALSE(container.count("backend"));
    CHECK_FALSE(container.count("hap_fn:runtime"));
    // A VM with vhost workers that reached nothing: backend is a real 0.
    auto q35 = figure_sets("function_graph", hits, {"vmm", "vcpu", "backend"});
    REQUIRE(q35.count("backend"));
    CHECK(q35["backend"].empty());
    CHECK(q35["hap_fn:vmm"].size() == 1);
    // A microvm: no backend task, so no backend figure.
    CHECK_FALSE(figure_sets("function_graph", hits, {"vmm", "vcpu"}).count("backend"));
}

TEST_CASE("HAP_cc sums the complexity of the unique functions from a real pmccabe table", "[analysis][cc]") {
    std::ifstream in(std::string(HAP_FIXTURES) + "/analysis/complexity-6.1-sample.csv");
    REQUIRE(in);
    auto rows = parse_complexity_csv(in, "sample");
    REQUIRE(rows.ok());
    REQUIRE(rows->size() > 20);
    std::map<std::string, int64_t> table(rows->begin(), rows->end());
    REQUIRE(table.count("tcp_sendmsg_locked"));
    REQUIRE(table.count("tcp_recvmsg"));

    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    REQUIRE(s->import_complexity(kKernel, *rows, "sample").ok());
    add_function_run(*s, "runc", 1, {"tcp_sendmsg_locked", "tcp_recvmsg", "not_in_table"});
    add_function_run(*s, "runc", 2, {"tcp_sendmsg_locked"});
    auto cells = load_cells(*s, {}, true);
    REQUIRE(cells.ok());
    const FigureStat* cc = cells->front().figure("hap_cc");
    REQUIRE(cc);
    const double both = static_cast<double>(table["tcp_sendmsg_locked"] + table["tcp_recvmsg"]);
    CHECK(cc->stat.max == both);
    CHECK(cc->stat.min == table["tcp_sendmsg_locked"]);
    CHECK(cc->union_count == static_cast<int64_t>(both));
    CHECK(hap_cc({"tcp_recvmsg", "not_in_table"}, table).unmatched == 1);
}

TEST_CASE("HAP_cc without a table for the run's kernel is an error, not a number", "[analysis][cc]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    REQUIRE(s->import_complexity("5.10.0-30-amd64", {{"tcp_recvmsg", 3}}, "other kernel").ok());
    add_function_run(*s, "runc", 1, {"tcp_recvmsg"});
    auto cells = load_cells(*s, {}, true);
    REQUIRE_FALSE(cells.ok());
    CHECK(cells.error().message.find("no complexity table for kernel " + kKernel) != std::string::npos);
    // Without asking for HAP_cc the other figures are unaffected.
    CHECK(load_cells(*s, {}, false).ok());
}

TEST_CASE("complexity CSV: header required, bad lines named, duplicates keep the highest", "[analysis][cc]") {
    std::istringstream ok("# comment\nfunction,complexity\nfoo,3\nfoo,5\nbar,1\n");
    auto rows = parse_complexity_csv(ok, "t.csv");
    REQUIRE(rows.ok());
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    REQUIRE(s->import_complexity("k", *rows, "t.csv").ok());
    auto table = *s->complexity("k");
    CHECK(table.size() == 2);
    CHECK(table["foo"] == 5);
    std::istringstream no_header("foo,3\n");
    CHECK(parse_complexity_csv(no_header, "t.csv").error().message.find("header") != std::string::npos);
    std::istringstream bad("function,complexity\nfoo,x\n");
    CHECK(parse_complexity_csv(bad, "t.csv").error().message.find("t.csv:2:") == 0);
    std::istringstream empty("");
    CHECK_FALSE(parse_complexity_csv(empty, "t.csv").ok());
    std::ostringstream out;
    write_complexity_csv(out, table);
    CHECK(out.str() == "function,complexity\nbar,1\nfoo,5\n");
}

TEST_CASE("long export has one row per run, role and symbol with raw and normalised names", "[analysis][export]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    add_function_run(*s, "runc", 1, {"tcp_sendmsg"}, {"vhost_get_vq_desc"});
    std::ostringstream out;
    REQUIRE(write_long_csv(out, *s, *s->runs()).ok());
    CHECK(out.str().find("run_id,uuid,runtime,platform,workload,kernel,mode,repetition,role,kind,raw,normalized,hits,file,section,"
                         "directory\n") == 0);
    // No source map for the kernel: where each lives is not said (empty), never guessed.
    CHECK(out.str().find(",workload,function,tcp_sendmsg.isra.0,tcp_sendmsg,3,,,\n") != std::string::npos);
    CHECK(out.str().find(",backend,function,vhost_get_vq_desc,vhost_get_vq_desc,1,,,\n") != std::string::npos);
}

TEST_CASE("the role chart stacks each cell's per-role means, 0 where a role does not apply", "[analysis][chart]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    add_function_run(*s, "vm", 1, names("tcp_f", 4), {"vhost_a", "vhost_b"});
    add_function_run(*s, "runc", 1, names("tcp_f", 6));
    auto cells = *load_cells(*s, {});
    const std::string dat = role_chart_data(cells, ChartSpec{});
    CHECK(dat.find("cell workload runtime vmm vcpu backend shared\n") != std::string::npos);
    CHECK(dat.find("\"vm redis\" 4.000 0.000 0.000 0.000 2.000 0.000\n") != std::string::npos);
    CHECK(dat.find("\"runc redis\" 6.000 0.000 0.000 0.000 0.000 0.000\n") != std::string::npos);
}

TEST_CASE("the role chart counts a function two roles reached once, as shared, so a bar equals HAP_fn", "[analysis][chart]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    // Run 1: the workload reaches 4, the backend 2 of its own and 2 the
    // workload reached too; run 2: 6 and 1 shared. HAP_fn: 6 and 6.
    add_function_run(*s, "vm", 1, names("tcp_f", 4), {"vhost_a", "vhost_b", "tcp_f0", "tcp_f1"});
    add_function_run(*s, "vm", 2, names("tcp_f", 6), {"tcp_f5"});
    auto cells = *load_cells(*s, {});
    REQUIRE(cells.size() == 1);
    const Cell& c = cells.front();
    const auto& stack = c.role_stacks.at("hap_fn");
    CHECK(stack.at("workload").mean == Approx(3.5));  // 2 and 5 alone
    CHECK(stack.at("backend").mean == Approx(1.0));   // 2 and 0
    CHECK(stack.at("shared").mean == Approx(1.5));    // 2 and 1
    double sum = 0;
    for (const auto& [seg, st] : stack) sum += st.mean;
    CHECK(sum == Approx(c.figure("hap_fn")->stat.mean));
    // The per-role figures still count each role's whole reach.
    CHECK(c.figure("hap_fn:backend")->stat.mean == Approx(2.5));
    const std::string dat = role_chart_data(cells, ChartSpec{});
    CHECK(dat.find("\"vm redis\" 3.500 0.000 0.000 0.000 1.000 1.500\n") != std::string::npos);
}
