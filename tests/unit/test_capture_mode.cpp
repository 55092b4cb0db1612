#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "capture_mode.h"

using namespace hap;

TEST_CASE("capture modes parse, combine and refuse nonsense", "[modes]") {
    auto m = parse_modes("syscalls,kvm");
    REQUIRE(m.ok());
    CHECK(m->size() == 2);
    CHECK(modes_to_string(*m) == "syscalls,kvm");
    CHECK(parse_modes("auto")->empty());
    CHECK(modes_to_string(*parse_modes("kvm,function_graph,syscalls")) == "function_graph,syscalls,kvm");
    CHECK_FALSE(parse_modes("function,function_graph").ok());
    auto bad = parse_modes("syscall");
    REQUIRE_FALSE(bad.ok());
    CHECK_THAT(bad.error().message, Catch::Contains("unknown capture mode 'syscall'"));
}

TEST_CASE("auto takes the best function mode the kernel allows", "[modes]") {
    std::vector<ModeAvailability> host = {{CaptureMode::Syscalls, true, ""},
                                          {CaptureMode::Kvm, true, ""},
                                          {CaptureMode::Function, false, "EPERM"},
                                          {CaptureMode::FunctionGraph, false, "not configured"}};
    CHECK(modes_to_string(resolve_auto(host)) == "syscalls,kvm");
    host[3].available = true;
    CHECK(modes_to_string(resolve_auto(host)) == "function_graph,syscalls,kvm");
}

TEST_CASE("asking for a mode the kernel refuses names the reason", "[modes]") {
    std::vector<ModeAvailability> host = {{CaptureMode::Syscalls, true, ""},
                                          {CaptureMode::FunctionGraph, false, "the function_graph tracer is not available"}};
    try {
        require_modes({CaptureMode::FunctionGraph}, host);
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK_THAT(e.what(), Catch::Contains("--mode function_graph cannot run here"));
        CHECK_THAT(e.hint(), Catch::Contains("--mode syscalls"));
    }
    CHECK_NOTHROW(require_modes({CaptureMode::Syscalls}, host));
}

TEST_CASE("only the modes a run names are probed; auto probes all", "[modes]") {
    // A fake tracefs: the syscall event exists, no kvm events, both tracers listed.
    const auto dir = std::filesystem::temp_directory_path() / ("hap-probe-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "events/raw_syscalls/sys_enter");
    std::filesystem::create_directories(dir / "instances");
    std::ofstream(dir / "events/raw_syscalls/sys_enter/format") << "name: sys_enter\n";
    std::ofstream(dir / "available_tracers") << "function_graph function nop\n";
    auto modes_of = [](const std::vector<ModeAvailability>& probed) {
        std::set<CaptureMode> m;
        for (const auto& p : probed) m.insert(p.mode);
        return m;
    };
    const auto syscalls = probe_modes(dir.string(), {CaptureMode::Syscalls});
    CHECK(modes_of(syscalls) == std::set<CaptureMode>{CaptureMode::Syscalls});
    CHECK(syscalls.at(0).available);
    const auto kvm = probe_modes(dir.string(), {CaptureMode::Kvm});
    REQUIRE(kvm.size() == 1);
    CHECK_FALSE(kvm.at(0).available);
    CHECK(probe_modes(dir.string()).size() == 4);
    std::filesystem::remove_all(dir);
}
