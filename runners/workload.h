// A workload: what runs in the sandbox, how to tell it is ready, what is done
// once before the load, and the real load that exercises it (DESIGN.md,
// "Workloads"). Every workload comes from a workload file (workload_spec.h):
// the built-in ones are files compiled into hapctl (runners/workloads/).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "process.h"
#include "workload_spec.h"

namespace hap {

// Where the load generator finds the workload: an address inside a network
// namespace hap created (never an address hap did not create), or loopback.
struct Endpoint {
    std::string netns;    // "" = the host's namespace
    std::string address;  // e.g. 10.213.0.2
    int port = 0;
};

struct LoadResult {
    double throughput = 0;  // per second
    std::string unit;       // "requests/s"
    double seconds = 0;
    uint64_t requests = 0;
    std::string detail;     // e.g. "SET 51234 r/s, GET 60011 r/s"
};

class Workload {
public:
    explicit Workload(WorkloadSpec spec) : spec_(std::move(spec)) {}

    const WorkloadSpec& spec() const { return spec_; }
    std::string name() const { return spec_.name; }
    // The root's Debian packages as the image builder takes them ("apt:NAME"
    // installed by apt-get in the new root), and as dpkg names them.
    const std::vector<std::string>& root_packages() const { return spec_.root.debian_packages; }
    std::vector<std::string> debian_packages() const;
    const Argv& command() const { return spec_.command; }  // inside the sandbox
    int port() const { return spec_.port; }
    // Directories the workload writes to (tmpfs on the read-only image root).
    const std::vector<std::string>& scratch_dirs() const { return spec_.scratch; }
    // "NAME=value" for the service's environment (on top of the runtime's own).
    std::vector<std::string> environment() const;
    // True when the file asks for what a runner must apply: a user, an
    // environment or a working directory other than the runtime's default.
    bool sets_process_context() const { return !spec_.user.empty() || !spec_.env.empty() || !spec_.workdir.empty(); }

    // Probes until ready or timeout; false on timeout (the caller says why).
    bool wait_ready(const Endpoint& ep, std::chrono::seconds timeout) const;
    // Runs the file's setup steps in order; throws UserError quoting the last
    // line of the first that fails or times out.
    void run_setup(const Endpoint& ep, std::chrono::seconds duration) const;
    // Runs the load generator for about `duration`; throws UserError when it
    // fails or its throughput cannot be read.
    LoadResult run_load(const Endpoint& ep, std::chrono::seconds duration) const;
    // The load side's programs on the host, for doctor and early checks.
    std::vector<std::string> host_tools() const { return spec_.host_tools(); }
    // Why the file says it cannot run in `runtime` ("" = it can). `runtime`
    // is hap's name (runc, runsc, docker, kata, vm, nabla, native, ...).
    std::string refusal(const std::string& runtime) const;

private:
    WorkloadSpec spec_;
};

// A workload by name or by file. A name is a built-in; an argument that
// contains '/' or ends in ".toml" is a file. A built-in's name that is also
// a file in the working directory is an error naming both (exit 2), as is an
// unknown name. File errors as parse_workload_spec.
std::unique_ptr<Workload> make_workload(const std::string& name_or_file);
std::vector<std::string> known_workloads();

// How long one readiness attempt may take. Generous: a nested KVM guest under
// TCG answered a first TCP connection in over 3 s while its host was busy,
// and an attempt that times out is retried only after it ends.
inline constexpr std::chrono::seconds kReadyAttemptTimeout{10};

// Prefixes argv so it runs inside network namespace `netns` ("" = unchanged).
Argv in_netns(const std::string& netns, Argv argv);

}  // namespace hap
