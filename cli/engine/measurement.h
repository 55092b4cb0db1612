// One measurement cell, as DESIGN.md's data flow draws it: launch the
// sandbox, find its tasks, trace them while the load runs, store the run.
// Shared by `hapctl measure` and, later, hapd.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capture_mode.h"
#include "runner.h"

namespace hap {

struct MeasureRequest {
    std::string runtime, platform, workload;
    std::string mode_spec = "auto";
    int reps = 1;
    std::chrono::seconds duration{10};
    std::chrono::seconds ready_timeout{60};
    std::string db_path = "hap.db";
    unsigned buffer_kb = 16384;
    std::string record_dir;  // "" = no capture kept; else DIR/rep-N
    // After each traced repetition, the same load for the same time in a
    // fresh sandbox with nothing traced: the throughput the runtime gives
    // without the tracer's cost (stored as runs.throughput_untraced).
    bool untraced_baseline = true;
    std::string docker_host;
    std::string state_dir = "/run/hap";
    std::string cache_dir = "/var/cache/hap";
    VmOptions vm;  // --runtime vm: guest kernel, vCPUs, memory, kernel parameters
    std::vector<std::string> nabla_images;  // --nabla-image: SPEC or WORKLOAD=SPEC (runners/nabla_image.h)
};

struct RepResult {
    int repetition = 0;
    int64_t run_id = 0;
    std::string status;  // complete, failed, aborted
    std::string reason;
    std::optional<int64_t> unique_syscalls, unique_functions;
    std::optional<int64_t> unique_hc;  // hypercalls + exit reasons, when kvm was captured
    std::map<std::string, int64_t> syscalls_by_role, functions_by_role;
    uint64_t events = 0, lost = 0;
    double throughput = 0;  // traced
    std::optional<double> throughput_untraced;
    std::string unit;
    // With --record: "complete", or "incomplete: REASON" (queue_full,
    // disk_full, write_error); "" when nothing was recorded.
    std::string record;
};

struct MeasureResult {
    std::string runtime, platform, workload, modes, network;
    std::vector<RepResult> reps;
};

struct RunStart;
class Store;

// A run record with a fresh uuid and this host's and kernel's facts; the
// kernel's traceable functions are counted only when `modes` trace functions
// (the figure they divide is HAP_fn; the store keeps a count once made).
RunStart new_run_start(const std::string& tracing_dir, const std::set<CaptureMode>& modes);
// Opens (creating or migrating) the store a run is written to; reports runs
// of dead writers it marked aborted through `progress`.
std::unique_ptr<Store> open_store_for_run(const std::string& path, const std::function<void(const std::string&)>& progress);

// Progress lines go to `progress` (stderr in hapctl). Throws UserError on the
// first failure, after storing that run as failed or aborted.
MeasureResult run_measurement(const MeasureRequest& req, const std::function<void(const std::string&)>& progress);

}  // namespace hap
