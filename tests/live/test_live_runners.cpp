// A short real measurement per runtime, through the same engine as hapctl,
// and proof that nothing hap started is left afterwards.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "engine/measurement.h"
#include "files.h"
#include "image_store.h"
#include "live_support.h"
#include "process.h"
#include "procfs.h"
#include "runsc_info.h"
#include "store.h"

using namespace hap;

namespace {

MeasureResult measure(const std::string& runtime, const std::string& db, const std::string& platform = "") {
    for (const char* tool : {"redis-benchmark", "debootstrap", "ip"})
        if (!find_program(tool)) live::skip(std::string(tool) + " is not installed (scripts/setup)");
    return run_measurement(live::short_redis_request(runtime, platform, db), [](const std::string& line) { std::printf("  %s\n", line.c_str()); });
}

void check_complete(const MeasureResult& r, const std::string& db) {
    REQUIRE(r.reps.size() == 1);
    CHECK(r.reps[0].status == "complete");
    REQUIRE(r.reps[0].unique_syscalls.has_value());
    CHECK(*r.reps[0].unique_syscalls >= 5);
    CHECK(r.reps[0].events > 1000);
    CHECK(r.reps[0].throughput > 0);
    // The untraced baseline: a second sandbox, started after the traced one
    // was stored and torn down, served the same load.
    REQUIRE(r.reps[0].throughput_untraced.has_value());
    CHECK(*r.reps[0].throughput_untraced > 0);
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE(runs->size() == 1);
    CHECK(runs->at(0).status == "complete");
    REQUIRE(runs->at(0).throughput_untraced.has_value());
    CHECK(*runs->at(0).throughput_untraced == Approx(*r.reps[0].throughput_untraced));
    CHECK(runs->at(0).settings_json.find("\"untraced\"") != std::string::npos);
    CHECK(runs->at(0).lost_events.has_value());
    // Syscall records are never in interrupt context: a non-zero count here
    // means records were decoded as the wrong event.
    REQUIRE(runs->at(0).interrupt_excluded.has_value());
    CHECK(*runs->at(0).interrupt_excluded == 0);
    CHECK(*runs->at(0).events == static_cast<int64_t>(r.reps[0].events));
}

}  // namespace

TEST_CASE("live: redis under runc is measured and stored", "[live][runner][runc]") {
    if (!find_program("runc")) live::skip("runc is not installed");
    auto db = live::db_path("runc");
    auto r = measure("runc", db);
    check_complete(r, db);
    CHECK(r.reps[0].syscalls_by_role.count("workload") == 1);
    live::check_nothing_left();
}

namespace {
// The runsc in PATH, read as hap reads it; skips where there is none.
RunscInfo runsc_or_skip() {
    auto bin = find_program("runsc");
    if (!bin) live::skip("runsc is not installed");
    return read_runsc_info(*bin);
}

// The stored settings of the only run in `db` carry the runsc version and
// the binary's default platform.
void check_runsc_settings(const std::string& db, const RunscInfo& info) {
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE(runs->size() == 1);
    auto j = nlohmann::json::parse(runs->at(0).settings_json);
    INFO(runs->at(0).settings_json);
    CHECK(j["sandbox"]["versions"]["runsc"] == info.version);
    CHECK(j["sandbox"]["platform_default"] == info.default_platform);
}

// One platform of gVisor, measured: skips, saying why, where this runsc
// does not have it or it does not start here.
void measure_runsc_platform(const std::string& platform) {
    RunscInfo info = runsc_or_skip();
    if (!info.has(platform))
        live::skip("this runsc (" + info.version + ") has no " + platform + " platform; it has " + info.platform_list());
    RunscPlatformProbe probe = probe_runsc_platform(info.binary, platform, "/run/hap", std::chrono::seconds(15));
    if (!probe.runs) live::skip("runsc --platform=" + platform + " cannot run here: " + probe.why);
    auto db = live::db_path("runsc_" + platform);
    auto r = measure("runsc", db, platform);
    check_complete(r, db);
    CHECK(r.platform == platform);
    // The sentry and gofer work for the sandbox: the runtime role is not empty.
    CHECK(r.reps[0].syscalls_by_role["runtime"] > 0);
    check_runsc_settings(db, info);
    live::check_nothing_left();
}
}  // namespace

TEST_CASE("live: redis under gVisor (runsc, the binary's default platform, own netstack) is measured and stored",
          "[live][runner][runsc]") {
    RunscInfo info = runsc_or_skip();
    auto db = live::db_path("runsc");
    auto r = measure("runsc", db);
    check_complete(r, db);
    CHECK(r.reps[0].syscalls_by_role["runtime"] > 0);
    // No --platform: the binary's own default (systrap since 2023, ptrace before).
    CHECK(r.platform == info.default_platform);
    check_runsc_settings(db, info);
    live::check_nothing_left();
}

TEST_CASE("live: redis under gVisor's systrap platform is measured and stored", "[live][runner][runsc_systrap]") {
    measure_runsc_platform("systrap");
}

TEST_CASE("live: redis under gVisor's ptrace platform is measured and stored", "[live][runner][runsc_ptrace]") {
    measure_runsc_platform("ptrace");
}

TEST_CASE("live: redis under Docker (private dockerd, runc) is measured and stored", "[live][runner][docker]") {
    if (!find_program("dockerd") || !find_program("docker")) live::skip("docker.io is not installed");
    auto db = live::db_path("docker");
    auto r = measure("docker", db);
    check_complete(r, db);
    CHECK(r.reps[0].syscalls_by_role["workload"] > 0);
    live::check_nothing_left();
}

namespace {
// Processes whose command line names this hapctl's private dockerd directory:
// containerd, shims and runsc sandboxes and gofers (their --root is below it).
std::vector<std::string> engine_processes_left() {
    const std::string dir = "/run/hap/dockerd-" + std::to_string(::getpid());
    std::vector<std::string> left;
    for (pid_t p : all_pids()) {
        const std::string cmd = task_cmdline(p);
        if (p != ::getpid() && cmd.find(dir) != std::string::npos) left.push_back(std::to_string(p) + " " + cmd);
    }
    return left;
}
}  // namespace

TEST_CASE("live: redis under gVisor through Docker (docker:runsc, own netstack) is measured and stored",
          "[live][runner][docker_runsc]") {
    if (!find_program("dockerd") || !find_program("docker")) live::skip("docker.io is not installed");
    if (!find_program("runsc")) live::skip("runsc is not installed");
    auto db = live::db_path("docker_runsc");
    auto r = measure("docker:runsc", db);
    check_complete(r, db);
    CHECK(r.runtime == "docker:runsc");
    // The engine runs runsc without --platform: the binary's default.
    CHECK(r.platform == read_runsc_info(*find_program("runsc")).default_platform);
    // The sentry and gofer (and the shim) are the runtime role, as under the OCI runner.
    CHECK(r.reps[0].syscalls_by_role["runtime"] > 0);
    live::check_nothing_left();
    for (const auto& p : engine_processes_left()) FAIL("left running: " << p);
}

TEST_CASE("live: a docker:runsc start that fails leaves no shim, sandbox or gofer", "[live][runner][docker_runsc_cleanup]") {
    if (!find_program("dockerd") || !find_program("docker")) live::skip("docker.io is not installed");
    if (!find_program("runsc")) live::skip("runsc is not installed");
    // runsc registered without hap's /proc/sys/net mask fails where gVisor
    // #10704 bites, after it has started its sandbox and gofer: the case
    // that used to leave containerd-shim, runsc-sandbox and runsc-gofer.
    const std::string real = scripts_dir();
    const std::filesystem::path fake = std::filesystem::temp_directory_path() / ("hap-live-scripts-" + std::to_string(::getpid()));
    std::filesystem::remove_all(fake);
    std::filesystem::create_directories(fake / "docker");
    std::filesystem::create_directory_symlink(real + "/image", fake / "image");
    REQUIRE(write_file((fake / "docker" / "runsc-netns-mask").string(), "#!/bin/sh\nexec runsc \"$@\"\n").ok());
    std::filesystem::permissions(fake / "docker" / "runsc-netns-mask", std::filesystem::perms::owner_all);
    ::setenv("HAP_SCRIPTS_DIR", fake.c_str(), 1);
    std::string error;
    try {
        measure("docker:runsc", live::db_path("docker_runsc_cleanup"));
    } catch (const UserError& e) {
        error = e.what();
    }
    ::unsetenv("HAP_SCRIPTS_DIR");
    std::filesystem::remove_all(fake);
    if (error.empty())
        live::skip("runsc starts here without hap's mask (gVisor #10704 does not apply): the failure path is not exercised");
    CHECK_THAT(error, Catch::Contains("root network namespace"));
    live::check_nothing_left();
    for (const auto& p : engine_processes_left()) FAIL("left running: " << p);
}
