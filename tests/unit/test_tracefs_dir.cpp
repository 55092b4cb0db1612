// Issue 12: tracefs is found at /sys/kernel/tracing or, where only debugfs is
// mounted, /sys/kernel/debug/tracing. A directory laid out like a host's
// stands in for the root; a file the kernel has at the top of every tracefs
// (tracing_on) marks a mounted one.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>

#include "files.h"
#include "tracefs_dir.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {

struct FakeRoot {
    fs::path root = fs::temp_directory_path() / ("hap-root-" + std::to_string(::getpid()));
    FakeRoot() {
        fs::remove_all(root);
        // sysfs always has both mount points, empty until something is mounted.
        fs::create_directories(root / "sys/kernel/tracing");
        fs::create_directories(root / "sys/kernel/debug");
    }
    ~FakeRoot() { fs::remove_all(root); }
    void mount_tracefs(const std::string& at) {
        fs::create_directories(root / at);
        REQUIRE(write_file((root / at / "tracing_on").string(), "1\n").ok());
    }
};

}  // namespace

TEST_CASE("tracefs mounted at /sys/kernel/tracing is found there", "[tracefs_dir]") {
    FakeRoot r;
    r.mount_tracefs("sys/kernel/tracing");
    auto d = find_tracing_dir(r.root.string());
    REQUIRE(d.ok());
    CHECK(*d == r.root.string() + "/sys/kernel/tracing");
}

TEST_CASE("tracefs reached through debugfs at /sys/kernel/debug/tracing is found there", "[tracefs_dir]") {
    FakeRoot r;
    r.mount_tracefs("sys/kernel/debug/tracing");
    auto d = find_tracing_dir(r.root.string());
    REQUIRE(d.ok());
    CHECK(*d == r.root.string() + "/sys/kernel/debug/tracing");
}

TEST_CASE("with both mounted, /sys/kernel/tracing is preferred", "[tracefs_dir]") {
    FakeRoot r;
    r.mount_tracefs("sys/kernel/tracing");
    r.mount_tracefs("sys/kernel/debug/tracing");
    auto d = find_tracing_dir(r.root.string());
    REQUIRE(d.ok());
    CHECK(*d == r.root.string() + "/sys/kernel/tracing");
}

TEST_CASE("neither mounted: one line naming both places, and a hint how to mount", "[tracefs_dir]") {
    FakeRoot r;  // empty mount points only
    auto d = find_tracing_dir(r.root.string());
    REQUIRE_FALSE(d.ok());
    CHECK(d.error().err == ENOENT);
    const std::string& m = d.error().message;
    CHECK(m == "tracefs is not mounted at " + r.root.string() + "/sys/kernel/tracing or " + r.root.string() +
                   "/sys/kernel/debug/tracing");
    CHECK(m.find('\n') == std::string::npos);
    CHECK(std::string(kTracefsMountHint).find("mount -t tracefs nodev /sys/kernel/tracing") == 0);
}
