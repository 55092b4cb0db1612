// `hapctl trace` with a counting window, on this host, as a user runs it:
// a program that starts up with many syscalls and then loops on getppid and
// getpid (two_syscalls.c) reports exactly those two when counting starts
// after its start-up, by --delay or by SIGUSR1, and is stopped at the end
// of a --duration.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "files.h"
#include "live_support.h"
#include "process.h"
#include "store.h"
#include "tracefs_dir.h"

using namespace hap;

namespace {

struct TracedRun {
    std::set<std::string> syscalls;  // of the workload role
    uint64_t calls = 0;              // sys_enter records counted
    nlohmann::json window;           // settings "window"
    double trace_seconds = 0;
};

TracedRun stored_run(const std::string& db) {
    auto store = Store::open(db);
    REQUIRE(store.ok());
    auto runs = (*store)->runs();
    REQUIRE(runs.ok());
    REQUIRE(runs->size() == 1);
    const auto& r = runs->front();
    CHECK(r.status == "complete");
    TracedRun out;
    out.window = nlohmann::json::parse(r.settings_json)["window"];
    out.trace_seconds = r.trace_seconds.value_or(0);
    auto hits = (*store)->hits(r.id);
    REQUIRE(hits.ok());
    for (const auto& h : *hits)
        if (h.kind == "syscall" && h.role == "workload") {
            out.syscalls.insert(h.normalized);
            out.calls += h.count;
        }
    return out;
}

// Runs `hapctl trace --mode syscalls ARGS -- two_syscalls STARTUP TOTAL`;
// skips when this host cannot trace syscalls.
TracedRun trace(const std::string& tag, const std::vector<std::string>& args, const std::string& startup,
                const std::string& total) {
    const std::string db = live::db_path(tag);
    Argv argv{HAP_HAPCTL, "trace", "--mode", "syscalls", "--buffer-kb", "4096", "--db", db};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--", HAP_TWO_SYSCALLS, startup, total});
    RunOptions opts;
    opts.timeout = std::chrono::milliseconds(120000);
    auto r = run_command(argv, opts);
    REQUIRE(r.ok());
    if (!r->succeeded() && (r->err.find("cannot set up tracing") != std::string::npos ||
                            r->err.find("cannot run here") != std::string::npos))
        live::skip("hapctl trace cannot trace syscalls here: " + r->err);
    std::printf("$ %s\n%s%s", argv_to_string(argv).c_str(), r->out.c_str(), r->err.c_str());
    REQUIRE(r->succeeded());
    return stored_run(db);
}

void require_syscall_tracing() {
    auto d = use_tracing_dir();
    if (!d) live::skip(d.error().message);
    if (!path_exists(*d + "/events/raw_syscalls/sys_enter")) live::skip("no raw_syscalls events in this kernel");
}

const std::set<std::string> kLoop = {"getpid", "getppid"};

std::string text_of(const std::string& path) {
    auto t = read_file(path);
    return t ? *t : "";
}

}  // namespace

TEST_CASE("live: trace --delay 2 counts only the loop after the start-up", "[live][trace_window]") {
    require_syscall_tracing();
    // Counted whole, the start-up's syscalls are there: what the window removes.
    const auto whole = trace("tw-whole", {}, "1", "2");
    CHECK(whole.syscalls.count("openat") == 1);
    CHECK(whole.syscalls.count("uname") == 1);
    CHECK(whole.syscalls.size() > kLoop.size() + 4);
    CHECK(whole.window["started_by"] == "command");

    const auto late = trace("tw-delay", {"--delay", "2"}, "1", "4");
    CHECK(late.syscalls == kLoop);
    CHECK(late.calls > 1000);
    CHECK(late.window["started_by"] == "delay");
    CHECK(late.window["delay_s"].get<double>() == 2.0);
    CHECK(late.window["start_s"].get<double>() == Approx(2.0).margin(0.01));
    CHECK(late.window["counted_s"].get<double>() == Approx(2.0).margin(0.3));
    CHECK(late.window["outside_window_records"].get<uint64_t>() > 0);
    CHECK_FALSE(late.window["stopped_command"].get<bool>());
    std::printf("whole run: %zu syscalls; --delay 2: %zu syscalls (%llu calls), %llu records before the window\n",
                whole.syscalls.size(), late.syscalls.size(), static_cast<unsigned long long>(late.calls),
                static_cast<unsigned long long>(late.window["outside_window_records"].get<uint64_t>()));
    live::check_nothing_left();
}

TEST_CASE("live: trace --duration stops the command at the window's end", "[live][trace_window]") {
    require_syscall_tracing();
    const auto t0 = std::chrono::steady_clock::now();
    const auto r = trace("tw-duration", {"--delay", "2", "--duration", "1"}, "1", "60");
    const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    CHECK(r.syscalls == kLoop);
    CHECK(r.window["stopped_command"].get<bool>());
    CHECK(r.window["duration_s"].get<double>() == 1.0);
    CHECK(r.window["counted_s"].get<double>() == Approx(1.0).margin(0.01));
    CHECK(took < 20);  // not the 60 s the command would have run
    std::printf("--delay 2 --duration 1: %zu syscalls (%llu calls), hapctl took %.1f s\n", r.syscalls.size(),
                static_cast<unsigned long long>(r.calls), took);
    live::check_nothing_left();
}

TEST_CASE("live: SIGUSR1 to hapctl opens the window", "[live][trace_window]") {
    require_syscall_tracing();
    const std::string db = live::db_path("tw-signal");
    const std::string out = db + ".out";
    SpawnOptions so;
    so.stdout_path = so.stderr_path = out;
    so.die_with_parent = true;
    auto child = spawn_process({HAP_HAPCTL, "trace", "--mode", "syscalls", "--buffer-kb", "4096", "--wait-signal",
                                "--db", db, "--", HAP_TWO_SYSCALLS, "1", "4"},
                               so);
    REQUIRE(child.ok());
    // hapctl says when it releases the command; 2 s later the start-up is over.
    for (int i = 0; i < 3000 && text_of(out).find("kill -USR1") == std::string::npos; ++i) {
        if (!child->running()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (text_of(out).find("cannot set up tracing") != std::string::npos)
        live::skip("hapctl trace cannot trace syscalls here: " + text_of(out));
    REQUIRE(text_of(out).find("kill -USR1") != std::string::npos);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    REQUIRE(::kill(child->pid(), SIGUSR1) == 0);
    REQUIRE(child->wait_for(std::chrono::milliseconds(60000)));
    std::printf("%s", text_of(out).c_str());
    REQUIRE(child->wait_status());
    REQUIRE(WIFEXITED(*child->wait_status()));
    REQUIRE(WEXITSTATUS(*child->wait_status()) == 0);
    const auto r = stored_run(db);
    CHECK(r.syscalls == kLoop);
    CHECK(r.window["started_by"] == "signal");
    // The signal came ~2 s after the command started, after its 1 s start-up.
    CHECK(r.window["start_s"].get<double>() > 1.5);
    CHECK(r.window["start_s"].get<double>() < 3.0);
    std::printf("SIGUSR1 at %.2f s: %zu syscalls (%llu calls)\n", r.window["start_s"].get<double>(), r.syscalls.size(),
                static_cast<unsigned long long>(r.calls));
    std::remove(out.c_str());
    live::check_nothing_left();
}
