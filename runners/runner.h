// One interface for every isolation system (DESIGN.md, "Runners"):
// prepare image -> launch -> ready -> tasks by role -> teardown.
// Runners know nothing of tracing; they say which host tasks work for the
// sandbox and in what role.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"
#include "workload.h"

namespace hap {

struct SandboxTask {
    pid_t pid;          // a process; the tracer adds all its threads
    std::string role;   // workload, runtime, vmm, vcpu, backend
    std::string comm;
};

// The guest of `--runtime vm` (runners/vm_runner.h).
struct VmOptions {
    std::string kernel;       // vmlinuz-VERSION; "" = $HAP_VM_KERNEL or /boot's
    int cpus = 1;             // vCPUs (Kata's default_vcpus is 1)
    int mem_mb = 512;
    std::string append;       // extra guest kernel parameters (e.g. mitigations=off)
    std::string shared_fs;    // q35's root: virtio-fs or virtio-9p (Kata's shared_fs); "" = virtio-fs where installed
};

struct RunnerOptions {
    std::string runtime;        // as the user wrote it: runc, crun, runsc, docker, docker:runsc, vm
    std::string platform;       // gVisor platform (ptrace, kvm), vm shape (q35, microvm); "" = runtime default
    std::string state_dir = "/run/hap";
    std::string cache_dir = "/var/cache/hap";
    std::string docker_host;    // "" = a private dockerd started for the run
    VmOptions vm;
    // Nabla's unikernel images, as --nabla-image gives them: "SPEC" for every
    // workload or "WORKLOAD=SPEC" (runners/nabla_image.h).
    std::vector<std::string> nabla_images;
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
    // "" while the sandbox runs; else, in one line, why it stopped by itself
    // (a VM whose QEMU exited). Checked while waiting for readiness.
    virtual std::string exited_why() { return ""; }
    // The last line the sandbox printed where hap can read it (a VM's serial
    // console); "" when there is none. Quoted in readiness errors.
    virtual std::string last_output() { return ""; }
    // Settings that change the figure beyond runtime and platform (a VM's
    // machine, devices, vCPUs, memory, guest kernel), stored with each run.
    virtual nlohmann::json settings() const { return nlohmann::json::object(); }
    // A KVM guest runs the workload (vm, kata, nabla/hvt): kvm_exit is
    // captured to find its vCPUs, and a run in which none is found fails.
    virtual bool runs_kvm_guest() const { return false; }
    // How many vCPU threads its VMM makes, all of them at boot (no hotplug);
    // 0 when hap does not know. The retiring capture needs it: a thread's
    // role is final only once every vCPU thread has entered the guest.
    virtual int guest_vcpus() const { return 0; }
    // Whether launch() applies the workload file's service.user, service.env
    // and service.workdir (Workload::sets_process_context). A runner that
    // does not is refused such a workload in one line before anything starts.
    virtual bool applies_process_context() const { return false; }
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
