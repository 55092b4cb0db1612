// The capture core shared by `measure` (a sandbox under load) and `trace`
// (any command): set up the session for the given tasks, stream and fold the
// per-CPU buffers on a thread while `while_tracing` runs, then drain and
// return what the store needs. Tracefs is restored on every way out.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "capture_mode.h"
#include "count_window.h"
#include "page_recorder.h"
#include "store.h"

namespace hap {

struct TracedTask {
    pid_t pid;          // a process: all its threads; a thread id: that thread alone
    std::string role;   // workload, runtime, vmm, vcpu, backend
};

struct CaptureRequest {
    std::set<CaptureMode> modes;
    std::string tracing_dir;
    std::string state_dir = "/run/hap";
    unsigned buffer_kb = 16384;
    std::vector<TracedTask> tasks;
    // Called once tracing is on: tasks that appeared since `tasks` was taken.
    std::function<std::vector<TracedTask>()> rediscover;
    // The measured work (load generator, the command itself). Tracing stops
    // when it returns, or throws.
    std::function<void()> while_tracing;
    // Counts only records inside this window (run_aggregate.h); the session
    // then stamps records with trace_clock "mono". nullptr: count everything.
    const CountWindow* window = nullptr;
    std::string record_dir;     // "" = keep no raw capture
    // Pages the record's writer may fall behind the reader before pages are
    // left out of it (page_recorder.h), in KiB; 0: the kernel's buffers'
    // size, buffer_kb times the CPUs.
    size_t record_queue_kb = 0;
    nlohmann::json record_meta;  // merged into the capture's meta.json
    // Tasks whose first exec the caller knows (hapctl trace: the program it
    // execs), with that program: /proc may no longer show it when the exec
    // record is decoded (TaskAbis::expect_exec).
    std::vector<std::pair<pid_t, std::string>> first_exec;
    // A VM sandbox: capture kvm_exit whatever the modes, so vCPU threads are
    // known by entering the guest, not by their names (SessionConfig::guest_exits).
    bool guest_exits = false;
    // How many vCPU threads that VMM makes (Runner::guest_vcpus); 0 when not
    // known. The retiring mode needs it (FunctionRetirer::expect_vcpus).
    int guest_vcpus = 0;
};

struct CaptureResult {
    RunOutcome outcome;  // hits, tasks, events, losses, trace_seconds
    // hapctl's own CPU (user + system, all its threads) from tracing on to the
    // last page drained, and its peak RSS over its life (getrusage).
    double cpu_seconds = 0;
    long peak_rss_kb = 0;
    uint64_t outside_window = 0;  // records left out by the window
    // With record_dir: whether every page read is in the capture, and if
    // not why (also in the capture's meta.json and the run's settings).
    std::optional<RecordStatus> record;
    // The retiring mode: what it retired and what that cost (also in the
    // run's settings.retire), as a clause for the cost line; "" otherwise.
    std::string retire_summary;
};

// Throws UserError when tracing cannot be set up or read.
CaptureResult capture_run(const CaptureRequest& req);

// What the capture cost, as one progress line: "tracing cost 107158
// events/s over 3.3 s, hapctl 0.03 s CPU (1% of one CPU), peak RSS 7.4 MiB"
// (measure and trace print it; scripts/bench-live reads it).
std::string tracing_cost_line(const CaptureResult& captured);

// `--mode` as given ("auto" or a list) resolved against this kernel; throws a
// UserError that names the reason when a requested mode is refused here.
std::set<CaptureMode> resolve_capture_modes(const std::string& spec, const std::string& tracing_dir);

// Tracefs mount point or a UserError with the fix.
std::string require_tracefs();

// Unique symbols of each kind in a run, overall and per role, for progress
// lines and the result tables.
struct OutcomeFigures {
    std::map<std::string, int64_t> unique;                            // kind -> n
    std::map<std::string, std::map<std::string, int64_t>> by_role;    // kind -> role -> n
};
OutcomeFigures figures_of(const RunOutcome& o);

}  // namespace hap
