#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "files.h"
#include "runsc_info.h"

using namespace hap;

namespace {
// The output of both Debian runsc packages, saved before and after the
// upgrade (tests/fixtures/runsc/README.md).
RunscInfo fixture(const std::string& release) {
    const std::string dir = std::string(HAP_FIXTURES) + "/runsc/" + release + "/";
    auto text = [&](const char* f) {
        auto t = read_file(dir + f);
        REQUIRE(t);
        return *t;
    };
    return parse_runsc_info(text("version.txt"), text("flags.txt"), text("platforms.txt"));
}
}  // namespace

TEST_CASE("Debian 12's runsc (2022-12) has ptrace, its default, and kvm", "[runsc]") {
    RunscInfo i = fixture("2022-12");
    CHECK(i.version == "0.0~20221219.0");
    CHECK(i.platforms == std::vector<std::string>{"ptrace", "kvm"});
    CHECK(i.default_platform == "ptrace");
    CHECK_FALSE(i.has("systrap"));
}

TEST_CASE("bookworm-backports' runsc (2024-07) adds systrap and makes it the default", "[runsc]") {
    RunscInfo i = fixture("2024-07");
    CHECK(i.version == "0.0~20240729.0");
    CHECK(i.platforms == std::vector<std::string>{"systrap", "kvm", "ptrace"});
    CHECK(i.default_platform == "systrap");
    CHECK(i.has("systrap"));
    CHECK(i.platform_list() == "systrap, kvm, ptrace");
}

TEST_CASE("without `help platforms`, platforms come from the --platform flag's usage", "[runsc]") {
    for (const char* release : {"2022-12", "2024-07"}) {
        const std::string dir = std::string(HAP_FIXTURES) + "/runsc/" + release + "/";
        RunscInfo i = parse_runsc_info(*read_file(dir + "version.txt"), *read_file(dir + "flags.txt"), "");
        CHECK(i.has("ptrace"));
        CHECK(i.has("kvm"));
        CHECK(i.has("systrap") == (std::string(release) == "2024-07"));
        CHECK(i.default_platform == i.platforms.front());
    }
}

TEST_CASE("platforms come default first, then by name, whatever order runsc printed them in", "[runsc]") {
    // runsc prints `help platforms` from a Go map: each call may differ.
    const std::string dir = std::string(HAP_FIXTURES) + "/runsc/2024-07/";
    const std::string version = *read_file(dir + "version.txt"), flags = *read_file(dir + "flags.txt");
    for (const char* order : {"ptrace\nkvm\nsystrap\n", "systrap\nptrace\nkvm\n", "kvm\nsystrap\nptrace\n"})
        CHECK(parse_runsc_info(version, flags, order).platforms == std::vector<std::string>{"systrap", "kvm", "ptrace"});
}

TEST_CASE("text that is not runsc's yields no platforms and no default", "[runsc]") {
    RunscInfo i = parse_runsc_info("runc version 1.1.5\n", "  -root string\n    \troot dir (default \"/run\")\n",
                                   "Usage: runsc <flags>\n");
    CHECK(i.version.empty());
    CHECK(i.platforms.empty());
    CHECK(i.default_platform.empty());
}

TEST_CASE("runsc's error line loses glog's prefix", "[runsc]") {
    CHECK(runsc_error_line("W1130 03:32:26.542521    9347 util.go:64] FATAL ERROR: unknown platform: bogus\n"
                           "unknown platform: bogus\n") == "unknown platform: bogus");
    CHECK(runsc_error_line("W1130 03:32:26.542521    9347 main.go:1] creating container: cannot start ptrace\n\n") ==
          "creating container: cannot start ptrace");
    CHECK(runsc_error_line("").empty());
}

TEST_CASE("ptrace_scope 3 is named as what keeps ptrace and systrap from starting, and only those", "[runsc]") {
    const auto dir = std::filesystem::temp_directory_path() / ("hap-yama-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const std::string scope = (dir / "ptrace_scope").string();
    auto set_scope = [&](const char* v) { std::ofstream(scope) << v; };
    set_scope("3\n");
    CHECK(runsc_platform_blocker("systrap", scope).find("ptrace_scope is 3") != std::string::npos);
    CHECK(runsc_platform_blocker("ptrace", scope).find("ptrace platform") != std::string::npos);
    CHECK(runsc_platform_blocker("kvm", scope).empty());  // kvm needs no ptrace
    set_scope("1\n");  // Debian's default: attach to descendants only, as runsc does
    CHECK(runsc_platform_blocker("systrap", scope).empty());
    CHECK(runsc_platform_blocker("systrap", (dir / "absent").string()).empty());  // no Yama
    std::filesystem::remove_all(dir);
}

TEST_CASE("a sentry that crashed is named by its fatal error, vector and function", "[runsc]") {
    // The lab, QEMU 10 -cpu max, nested SVM under TCG: #GP at the first switch to the application.
    auto log = read_file(std::string(HAP_FIXTURES) + "/runsc/2024-07/kvm-boot-crash.txt");
    REQUIRE(log);
    CHECK(runsc_crash_line(*log) == "the sentry died: fatal error: fault (vector 13, #GP) in kvm.(*vCPU).SwitchToUser");
    // Without the handler's lines: the fatal error alone.
    CHECK(runsc_crash_line("I1130 main.go:1] x\nfatal error: unexpected signal\n") ==
          "the sentry died: fatal error: unexpected signal");
    CHECK(runsc_crash_line("W1130 06:05:54 1 specutils.go:129] noNewPrivileges ignored.\n").empty());
}
