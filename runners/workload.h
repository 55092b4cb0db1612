// A workload: what runs in the sandbox, how to tell it is ready, and the real
// load generator that exercises it (DESIGN.md, "Workloads").
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "error.h"
#include "process.h"

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
    virtual ~Workload() = default;
    virtual std::string name() const = 0;
    virtual std::vector<std::string> debian_packages() const = 0;  // for the image
    virtual Argv command() const = 0;                              // inside the sandbox
    virtual int port() const = 0;
    // Directories the workload writes to (tmpfs on the read-only image root).
    virtual std::vector<std::string> scratch_dirs() const { return {}; }
    // Probes until ready or timeout; false on timeout (the caller says why).
    virtual bool wait_ready(const Endpoint& ep, std::chrono::seconds timeout) const = 0;
    // Runs the load generator for about `duration`; throws UserError when it fails.
    virtual LoadResult run_load(const Endpoint& ep, std::chrono::seconds duration) const = 0;
    // The load generator binaries on the host, for doctor and early checks.
    virtual std::vector<std::string> host_tools() const = 0;
};

std::unique_ptr<Workload> make_workload(const std::string& name);  // throws UserError
std::vector<std::string> known_workloads();

// How long one readiness attempt may take. Generous: a nested KVM guest under
// TCG answered a first TCP connection in over 3 s while its host was busy,
// and an attempt that times out is retried only after it ends.
inline constexpr std::chrono::seconds kReadyAttemptTimeout{10};

// Prefixes argv so it runs inside network namespace `netns` ("" = unchanged).
Argv in_netns(const std::string& netns, Argv argv);

}  // namespace hap
