// The decoder on a capture recorded on this host (tests/fixtures/sh-ls-cat):
// `sh -c 'ls / >/dev/null; cat /proc/version >/dev/null; echo done'`.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "files.h"
#include "replay_fixture.h"
#include "replay_source.h"
#include "run_aggregate.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {
const std::string kCapture = std::string(HAP_FIXTURES) + "/sh-ls-cat";

std::unique_ptr<test::ReplayedCapture> replay(const std::string& dir) { return test::replay_capture(dir); }

std::set<std::string> syscalls(const RunAggregate& agg, Role role) {
    std::set<std::string> out;
    for (const auto& h : agg.hits())
        if (h.kind == SymbolKind::Syscall && h.role == role) out.insert(h.name);
    return out;
}
}  // namespace

TEST_CASE("replaying a recorded capture yields exactly the events recorded live", "[replay]") {
    auto r = replay(kCapture);
    CHECK(r->agg.totals().events == r->src->meta()["events"].get<uint64_t>());
    CHECK(r->src->truncated_bytes() == 0);
    CHECK(r->src->losses().total() == 0);
}

TEST_CASE("syscalls of sh, ls and cat are decoded by name and all attributed to the workload", "[replay]") {
    auto r = replay(kCapture);
    auto work = syscalls(r->agg, Role::Workload);
    for (const char* s : {"execve", "openat", "read", "write", "mmap", "close", "getdents64", "exit_group"})
        CHECK(work.count(s) == 1);
    // Children (ls, cat) were forked during the trace: found by fork events.
    CHECK(syscalls(r->agg, Role::Unknown).empty());
    size_t forked = 0;
    for (const auto& [tid, t] : r->tasks.tasks()) forked += !t.seeded && t.parent != 0;
    CHECK(forked >= 2);
    std::set<std::string> comms;
    for (const auto& [tid, t] : r->tasks.tasks()) comms.insert(t.comm);
    CHECK(comms.count("ls") == 1);
    CHECK(comms.count("cat") == 1);
}

TEST_CASE("a truncated capture is read up to the last whole page and says so", "[replay]") {
    const fs::path tmp = fs::temp_directory_path() / ("hap-trunc-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::copy(kCapture, tmp, fs::copy_options::recursive);
    // Cut the CPU file that holds the most pages.
    fs::path cpu0;
    for (const auto& d : fs::directory_iterator(tmp / "per_cpu"))
        if (cpu0.empty() || fs::file_size(d.path() / "trace_pipe_raw") > fs::file_size(cpu0))
            cpu0 = d.path() / "trace_pipe_raw";
    const auto full = fs::file_size(cpu0);
    REQUIRE(full >= 8192);
    fs::resize_file(cpu0, full - 1000);  // cut inside the last page

    auto whole = replay(kCapture);
    auto cut = replay(tmp.string());
    CHECK(cut->src->truncated_bytes() == 4096 - 1000);
    CHECK(cut->agg.totals().events < whole->agg.totals().events);
    CHECK(cut->agg.totals().events > 0);
    fs::remove_all(tmp);
}

TEST_CASE("a directory without meta.json is refused with a reason", "[replay]") {
    const fs::path tmp = fs::temp_directory_path() / ("hap-nometa-" + std::to_string(::getpid()));
    fs::remove_all(tmp);
    fs::copy(kCapture, tmp, fs::copy_options::recursive);
    fs::remove(tmp / "meta.json");
    auto src = ReplaySource::open(tmp.string());
    REQUIRE_FALSE(src.ok());
    CHECK_THAT(src.error().message, Catch::Contains("not a complete hap capture"));
    REQUIRE(write_file((tmp / "meta.json").string(), "{\"format\": \"hap-capture\", \"format_version\": 7}").ok());
    auto newer = ReplaySource::open(tmp.string());
    REQUIRE_FALSE(newer.ok());
    CHECK_THAT(newer.error().message, Catch::Contains("version 7"));
    fs::remove_all(tmp);
}
