// The tracer against this host's tracefs: a real child process traced.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>

#include "files.h"
#include "knob_snapshot.h"
#include "live_source.h"
#include "live_support.h"
#include "run_aggregate.h"
#include "trace_session.h"
#include "tracefs_dir.h"

using namespace hap;

namespace {
std::string tracing_dir() {
    auto d = use_tracing_dir();
    if (!d) live::skip(d.error().message);
    return *d;
}
}  // namespace

TEST_CASE("live: syscalls of a child process are captured, and the instance is removed", "[live][tracer][capture]") {
    const std::string dir = tracing_dir();
    if (!path_exists(dir + "/events/raw_syscalls/sys_enter")) live::skip("no raw_syscalls events in this kernel");
    int go[2];
    REQUIRE(::pipe(go) == 0);
    pid_t child = ::fork();
    if (child == 0) {
        char b;
        if (::read(go[0], &b, 1) != 1) ::_exit(1);
        ::execlp("cat", "cat", "/proc/version", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    std::string instance;
    std::set<std::string> seen;
    {
        SessionConfig cfg;
        cfg.modes = {CaptureMode::Syscalls};
        cfg.pids = {child};
        cfg.buffer_kb_per_cpu = 1024;
        auto session = TraceSession::open(cfg);
        REQUIRE(session.ok());
        instance = (*session)->buffer_dir();
        CHECK(path_exists(instance));
        auto src = LiveSource::open(**session);
        REQUIRE(src.ok());
        TaskTable tasks;
        tasks.seed(child, Role::Workload, "child");
        RunAggregate agg(tasks);
        // As hapctl trace does (cli/engine/capture.cpp): the child is this
        // 64-bit test until it execs, then cat, which exits before its exec
        // record is decoded, so /proc can no longer say what it ran.
        agg.abis().seed(child, SyscallAbi::X86_64);
        agg.abis().expect_exec(child, SyscallAbi::X86_64);
        REQUIRE((*session)->start().ok());
        REQUIRE(::write(go[1], "x", 1) == 1);
        int st = 0;
        while (::waitpid(child, &st, WNOHANG) == 0) {
            (*src)->pump(agg);
            ::usleep(1000);
        }
        REQUIRE((*session)->stop().ok());
        (*src)->drain(agg);
        (*src)->close();
        for (const auto& h : agg.hits())
            if (h.kind == SymbolKind::Syscall && h.role == Role::Workload) seen.insert(h.name);
        CHECK((*session)->losses().total() == 0);
    }
    for (const char* s : {"execve", "openat", "read", "write", "exit_group"}) CHECK(seen.count(s) == 1);
    CHECK_FALSE(path_exists(instance));
}

TEST_CASE("live: an instance left by a dead hap is removed at the next start", "[live][tracer][stale_instance]") {
    const std::string dir = tracing_dir();
    const std::string stale = dir + "/instances/hap_4194305";  // above any pid_max default
    ::rmdir(stale.c_str());
    REQUIRE(::mkdir(stale.c_str(), 0755) == 0);
    REQUIRE(write_file(stale + "/events/sched/sched_process_fork/enable", "1\n").ok());
    auto done = TraceSession::clean_stale(dir, "/run/hap-test-" + std::to_string(::getpid()));
    CHECK_FALSE(path_exists(stale));
    REQUIRE(done.size() == 1);
    CHECK_THAT(done[0], Catch::Contains("hap_4194305"));
}

TEST_CASE("live: top-level knobs saved by a crashed hap are restored", "[live][tracer][knob_restore]") {
    const std::string dir = tracing_dir();
    const std::string knob = dir + "/options/event-fork";
    if (!path_exists(knob)) live::skip("no options/event-fork");
    const std::string before = trim(*read_file(knob));
    const std::string state_dir = "/run/hap-test-" + std::to_string(::getpid());
    {
        KnobSnapshot snap(state_dir + "/knobs-4194305");
        REQUIRE(snap.set(knob, before == "1" ? "0" : "1").ok());
        CHECK(trim(*read_file(knob)) != before);
        // A crash: the state file survives and names a dead owner.
        auto text = read_file(state_dir + "/knobs-4194305");
        REQUIRE(text.ok());
        std::string dead = *text;
        auto pos = dead.find(std::to_string(::getpid()));
        REQUIRE(pos != std::string::npos);
        dead.replace(pos, std::to_string(::getpid()).size(), "4194305");
        REQUIRE(write_file(state_dir + "/knobs-crashed", dead).ok());
        // Keep this object's own restore from hiding the test: restore
        // manually through the stale path first.
        auto restored = KnobSnapshot::restore_stale(state_dir);
        CHECK(restored.size() == 1);
        CHECK(trim(*read_file(knob)) == before);
    }
    CHECK(trim(*read_file(knob)) == before);
    ::rmdir(state_dir.c_str());
}

TEST_CASE("live: tracing turned off behind the session's back fails its stop, naming the buffer", "[live][tracer][stopped_early]") {
    const std::string dir = tracing_dir();
    SessionConfig cfg;
    cfg.modes = {CaptureMode::Syscalls};
    cfg.pids = {::getpid()};
    cfg.buffer_kb_per_cpu = 64;
    cfg.state_dir = "/run/hap-test-" + std::to_string(::getpid());
    auto session = TraceSession::open(cfg);
    if (!session) live::skip("cannot open a session: " + session.error().describe());
    REQUIRE((*session)->start().ok());
    // What a traceoff trigger or a kernel error path does to the buffer.
    REQUIRE(write_file((*session)->buffer_dir() + "/tracing_on", "0\n").ok());
    auto st = (*session)->stop();
    REQUIRE_FALSE(st.ok());
    CHECK_THAT(st.error().message, Catch::Contains((*session)->buffer_dir()) && Catch::Contains("turned off"));
    // A second stop is a no-op, and tracefs is left as found.
    CHECK((*session)->stop().ok());
}
