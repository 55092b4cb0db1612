// Nabla on this host, the three ways hap runs it (spt tender, runnc on an
// OCI bundle, runnc under Docker), at syscall level: the spt tender is a
// plain process and needs no KVM. Nabla is not packaged for Debian: each
// case skips, saying what it looked for and where, unless runnc and its
// tender are installed as runnc's installer lays them out and a Nabla redis
// image is given in HAP_TEST_NABLA_IMAGE (or sits at /opt/nabla-images/redis,
// where the lab's --install tree puts it).
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/measurement.h"
#include "error.h"
#include "files.h"
#include "live_support.h"
#include "nabla_runner.h"
#include "process.h"
#include "store.h"

using namespace hap;

namespace {

// The image to run, or a skip naming what is missing.
std::string nabla_image_or_skip(bool need_runnc) {
    const NablaInstall in = find_nabla_install();
    if (in.tender_spt.empty() || (need_runnc && in.runnc.empty()))
        live::skip("Nabla is not installed: " + in.describe() + " (looked in " + kNablaInstallDirs + ")");
    if (in.genisoimage.empty()) live::skip("genisoimage is not installed (scripts/setup)");
    const char* env = std::getenv("HAP_TEST_NABLA_IMAGE");
    const std::string image = env && *env ? env : "/opt/nabla-images/redis";
    if (!std::filesystem::exists(image))
        live::skip("no Nabla redis image: set HAP_TEST_NABLA_IMAGE to one (a directory holding /redis.nabla and "
                   "image-config.json); " + image + " does not exist");
    for (const char* tool : {"redis-benchmark", "ip"})
        if (!find_program(tool)) live::skip(std::string(tool) + " is not installed (scripts/setup)");
    return image;
}

MeasureRequest request(const std::string& runtime, const std::string& platform, const std::string& image,
                       const std::string& db) {
    MeasureRequest req = live::short_redis_request(runtime, platform, db);
    req.nabla_images = {image};
    return req;
}

void progress(const std::string& line) { std::printf("  %s\n", line.c_str()); }

void check_nabla_left_nothing() {
    live::check_nothing_left();
    const std::string me = "hap-" + std::to_string(::getpid()) + "-";
    for (const auto& d : list_dir("/run/hap/nabla")) CHECK(d.rfind(me, 0) != 0);
}

// A complete run whose tender made the handful of syscalls a solo5 spt
// tender makes (published: 7-9 for Nabla under load).
void check_tender(const MeasureResult& r, const std::string& db) {
    REQUIRE(r.reps.size() == 1);
    CHECK(r.reps[0].status == "complete");
    CHECK(r.reps[0].events > 1000);
    CHECK(r.reps[0].throughput > 0);
    REQUIRE(r.reps[0].syscalls_by_role.count("workload"));
    CHECK(r.reps[0].syscalls_by_role.at("workload") >= 3);
    CHECK(r.reps[0].syscalls_by_role.at("workload") <= 10);
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE(runs->size() == 1);
    CHECK(runs->at(0).status == "complete");
    // Where the binaries came from is stored with the run.
    CHECK(runs->at(0).settings_json.find("\"sha256\"") != std::string::npos);
}

}  // namespace

TEST_CASE("live: a real Nabla redis under hap's spt tender is measured and stored", "[live][runner][nabla_spt]") {
    const std::string image = nabla_image_or_skip(false);
    auto db = live::db_path("nabla-spt");
    auto r = run_measurement(request("nabla", "spt", image, db), progress);
    check_tender(r, db);
    CHECK(r.reps[0].syscalls_by_role.size() == 1);  // the tender is the only host task
    check_nabla_left_nothing();
}

TEST_CASE("live: a real Nabla redis under runnc (OCI bundle, no engine) is measured and stored",
          "[live][runner][nabla_runnc]") {
    const std::string image = nabla_image_or_skip(true);
    auto db = live::db_path("nabla-runnc");
    auto r = run_measurement(request("nabla", "runnc", image, db), progress);
    check_tender(r, db);
    check_nabla_left_nothing();
}

TEST_CASE("live: a real Nabla redis under Docker's runnc is measured and stored", "[live][runner][docker_runnc]") {
    const std::string image = nabla_image_or_skip(true);
    if (!find_program("dockerd") || !find_program("docker")) live::skip("docker.io is not installed");
    auto db = live::db_path("docker-runnc");
    auto r = run_measurement(request("docker:runnc", "", image, db), progress);
    check_tender(r, db);
    CHECK(r.reps[0].syscalls_by_role.count("runtime"));  // Docker's shim
    check_nabla_left_nothing();
}

TEST_CASE("live: a unikernel the tender cannot load fails in one line quoting the tender, stored failed",
          "[live][runner][nabla_bad_unikernel]") {
    const std::string image = nabla_image_or_skip(false);
    (void)image;
    // An image whose .nabla is not an executable: the tender exits at start.
    const std::string dir = "/tmp/hap-live-nabla-bad-" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    std::ofstream(dir + "/redis.nabla") << "not a unikernel\n";
    auto db = live::db_path("nabla-bad");
    for (const char* platform : {"spt", "runnc"}) {
        if (std::string(platform) == "runnc" && find_nabla_install().runnc.empty()) continue;
        INFO(platform);
        CHECK_THROWS_WITH(run_measurement(request("nabla", platform, dir, db), progress),
                          Catch::Contains("Exec format error"));
    }
    std::filesystem::remove_all(dir);
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE_FALSE(runs->empty());
    for (const auto& run : *runs) {
        CHECK(run.status == "failed");
        CHECK(run.reason.find("Exec format error") != std::string::npos);
    }
    check_nabla_left_nothing();
}
