// One interface for every isolation system (DESIGN.md, "Runners"):
// prepare image -> launch -> ready -> tasks by role -> teardown.
// Runners know nothing of tracing; they say which host tasks work for the
// sandbox and in what role.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "workload.h"

namespace hap {

struct SandboxTask {
    pid_t pid;          // a process; the tracer adds all its threads
    std::string role;   // workload, runtime, vmm, vcpu, backend
    std::string comm;
};

struct RunnerOptions {
    std::string runtime;        // as the user wrote it: runc, crun, runsc, docker, docker:runsc
    std::string platform;       // gVisor platform (ptrace, kvm); "" = runtime default
    std::string state_dir = "/run/hap";
    std::string cache_dir = "/var/cache/hap";
    std::string docker_host;    // "" = a private dockerd started for the run
};

class Runner {
public:
    virtual ~Runner() = default;
    virtual std::string runtime() const = 0;   // stored as runs.runtime
    virtual std::string platform() const = 0;  // stored as runs.platform
    virtual std::string network() const = 0;   // stored as runs.network
    virtual std::string image() const = 0;     // stored as runs.image

    // Builds or finds the image; may take minutes the first time.
    virtual void prepare() = 0;
    // Starts the sandbox; returns once its processes exist (not yet ready).
    virtual void launch() = 0;
    // Where the load generator reaches the workload.
    virtual Endpoint endpoint() const = 0;
    // Every host task that works for the sandbox now, by role.
    virtual std::vector<SandboxTask> tasks() = 0;
    // Stops and removes everything launch() made. Never throws; idempotent.
    virtual void teardown() noexcept = 0;
    // Stops what prepare() started for all repetitions (a private engine).
    // Never throws; idempotent. Destructors call teardown() and shutdown().
    virtual void shutdown() noexcept {}
};

// Throws UserError for unknown runtimes or missing binaries, naming them.
std::unique_ptr<Runner> make_runner(const RunnerOptions& opts, const Workload& workload);
std::vector<std::string> known_runtimes();

}  // namespace hap
