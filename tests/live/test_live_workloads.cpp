// A short real measurement of each HTTP workload (python/tornado,
// node/express, nginx, loaded by wrk) under runc, and of the native baseline,
// through the same engine as hapctl; nothing hap started may remain.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/measurement.h"
#include "files.h"
#include "live_support.h"
#include "native_runner.h"
#include "process.h"
#include "procfs.h"
#include "store.h"
#include "workload.h"

using namespace hap;

namespace {



void skip_without_tools(const std::string& runtime, const std::string& workload) {
    auto w = make_workload(workload);
    for (const auto& tool : w->host_tools())
        if (!find_program(tool)) live::skip(tool + " is not installed (scripts/setup)");
    if (!find_program("ip")) live::skip("ip is not installed (iproute2)");
    if (runtime == "native") {
        auto missing = missing_host_packages(w->debian_packages());
        if (!missing.empty()) live::skip("native " + workload + " needs the host package " + missing[0]);
    } else {
        if (!find_program(runtime)) live::skip(runtime + " is not installed");
        if (!find_program("debootstrap")) live::skip("debootstrap is not installed (scripts/setup)");
    }
}

// One repetition, 3 s of load, stored; the figures a real run must have.
MeasureResult measure_and_check(const std::string& runtime, const std::string& workload) {
    skip_without_tools(runtime, workload);
    const auto db = live::db_path(runtime + "-" + workload);
    MeasureRequest req;
    req.runtime = runtime;
    req.workload = workload;
    req.mode_spec = "syscalls";
    req.reps = 1;
    req.duration = std::chrono::seconds(3);
    req.db_path = db;
    // The untraced baseline runs the same load code again; the runner tests
    // check it, and CI time is better spent elsewhere.
    req.untraced_baseline = false;
    auto r = run_measurement(req, [](const std::string& line) { std::printf("  %s\n", line.c_str()); });
    REQUIRE(r.reps.size() == 1);
    CHECK(r.reps[0].status == "complete");
    REQUIRE(r.reps[0].unique_syscalls.has_value());
    CHECK(*r.reps[0].unique_syscalls >= 5);
    // Under gVisor the application's own tasks are ptrace stubs making a
    // handful of host syscalls; the sentry (runtime role) does the rest.
    if (runtime != "runsc") CHECK(r.reps[0].syscalls_by_role["workload"] >= 5);
    CHECK(r.reps[0].events > 1000);
    CHECK(r.reps[0].throughput > 0);
    CHECK(r.reps[0].unit == "requests/s");
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE(runs->size() == 1);
    CHECK(runs->at(0).status == "complete");
    CHECK(runs->at(0).workload == workload);
    CHECK(runs->at(0).runtime == runtime);
    live::check_nothing_left();
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db + s);
    return r;
}

}  // namespace

TEST_CASE("live: python (tornado) under runc, loaded by wrk", "[live][workload][runc_python]") {
    measure_and_check("runc", "python");
}

TEST_CASE("live: node (express) under runc, loaded by wrk", "[live][workload][runc_node]") {
    measure_and_check("runc", "node");
}

TEST_CASE("live: nginx (static page, read-only root) under runc, loaded by wrk", "[live][workload][runc_nginx]") {
    measure_and_check("runc", "nginx");
}

TEST_CASE("live: nginx under gVisor answers keep-alive wrk through its netstack", "[live][workload][runsc_nginx]") {
    auto r = measure_and_check("runsc", "nginx");
    CHECK(r.reps[0].syscalls_by_role["runtime"] > 0);
}

TEST_CASE("live: redis as a native host process (the baseline)", "[live][workload][native_redis]") {
    auto r = measure_and_check("native", "redis");
    CHECK(r.runtime == "native");
    CHECK(r.reps[0].syscalls_by_role.count("runtime") == 0);
}

TEST_CASE("live: python as a native host process", "[live][workload][native_python]") {
    measure_and_check("native", "python");
}
