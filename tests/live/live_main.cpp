// Live tests run on this host as root. A case that cannot run here calls
// skip("why"): the reason is printed and the process exits 77, which CTest
// reports as skipped (each case is its own CTest entry), never as passed.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "files.h"
#include "process.h"
#include "procfs.h"

#include "live_support.h"

namespace live {
std::string g_skip_reason;
std::string db_path(const std::string& tag) {
    auto p = std::filesystem::temp_directory_path() / ("hap-live-" + tag + "-" + std::to_string(::getpid()) + ".db");
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(p.string() + s);
    return p.string();
}

void check_nothing_left() {
    const std::string me = std::to_string(::getpid());
    auto ns = hap::run_command({"ip", "netns", "list"});
    REQUIRE(ns.ok());
    CHECK(ns->out.find("hap" + me) == std::string::npos);
    for (const auto& id : hap::list_dir("/run/hap/oci")) CHECK(id.rfind("hap-" + me + "-", 0) != 0);
    for (const auto& f : hap::list_dir("/run/hap/native")) CHECK(f.rfind("hap" + me, 0) != 0);
    CHECK_FALSE(hap::path_exists("/run/hap/dockerd-" + me));
    CHECK_FALSE(hap::path_exists("/sys/kernel/tracing/instances/hap_" + me));
    for (pid_t p : hap::descendants(::getpid())) FAIL("child process left running: " << p << " " << hap::task_cmdline(p));
}

hap::MeasureRequest short_redis_request(const std::string& runtime, const std::string& platform, const std::string& db) {
    hap::MeasureRequest req;
    req.runtime = runtime;
    req.platform = platform;
    req.workload = "redis";
    req.mode_spec = "syscalls";
    req.reps = 1;
    req.duration = std::chrono::seconds(2);
    req.db_path = db;
    return req;
}

void skip(const std::string& why) {
    g_skip_reason = why;
    throw Skipped{};
}
}  // namespace live

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::printf("SKIP: live tests need root (tracefs, container runtimes)\n");
        return 77;
    }
    int failed = Catch::Session().run(argc, argv);
    if (!live::g_skip_reason.empty()) {
        std::printf("SKIP: %s\n", live::g_skip_reason.c_str());
        return failed > 1 ? 1 : 77;  // the Skipped exception itself counts as one failure
    }
    return failed;
}
