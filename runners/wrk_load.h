// wrk, the load driver of the HTTP workloads (python/tornado, node/express,
// nginx; load.driver = "wrk" in a workload file), run in the client network
// namespace, with its error limits.
#pragma once

#include <cstdint>
#include <string>

#include "workload.h"

namespace hap {

// What wrk printed at the end of a run (stdout and stderr together).
struct WrkSummary {
    bool has_rate = false;       // a "Requests/sec:" line was found
    double requests_per_sec = 0; // as wrk computed it (all responses)
    uint64_t requests = 0;       // "N requests in T, ..."
    double seconds = 0;          // T of that line
    uint64_t connect_errors = 0, read_errors = 0, write_errors = 0, timeouts = 0;
    uint64_t non_2xx_3xx = 0;    // "Non-2xx or 3xx responses: N"
    std::string failure;         // a line saying why wrk could not run ("unable to connect ...")

    uint64_t socket_errors() const { return connect_errors + read_errors + write_errors + timeouts; }
    uint64_t good_requests() const { return requests > non_2xx_3xx ? requests - non_2xx_3xx : 0; }
};

WrkSummary parse_wrk_output(const std::string& out);

// Why a run that wrk summarised is not a measurement ("" when it is): no
// rate at all, no successful response, or more socket errors than a tenth of
// the successful responses (the workload died or stalled under load).
std::string wrk_failure(const WrkSummary& s);

// wrk's load: threads and connections of every HTTP workload.
inline constexpr int kWrkThreads = 2;
inline constexpr int kWrkConnections = 50;
// wrk counts a response slower than this as a timeout (its default is 2 s).
// hap measures what the kernel serves, not latency: under emulation (the
// lab's TCG, gVisor's ptrace platform) queued responses take seconds and
// would otherwise fail the run as socket errors.
inline constexpr int kWrkTimeoutSeconds = 10;

// The wrk command line, inside ep.netns.
Argv wrk_argv(const Endpoint& ep, const std::string& path, std::chrono::seconds duration);

// Runs wrk for `duration` against ep; throws UserError when wrk cannot run or
// no request succeeded. Throughput is successful (2xx/3xx) responses a second.
LoadResult run_wrk(const Endpoint& ep, const std::string& path, std::chrono::seconds duration);

}  // namespace hap
