// redis's readiness probe (PING answered PONG) and its load driver,
// redis-benchmark SET and GET in adaptive rounds, as in the published
// measurements. A workload file names them: ready.probe = "redis-ping",
// load.driver = "redis-benchmark".
#pragma once

#include "workload.h"

namespace hap {

// Probes with `redis-cli PING` from ep.netns until PONG or the timeout (or an interrupt).
bool wait_redis_ping(const Endpoint& ep, std::chrono::seconds timeout);

// Runs redis-benchmark against ep for about `duration`; throughput is the
// mean over the tests (SET, GET) of each one's mean rate, requests/s.
// Throws UserError when redis-benchmark cannot run or reports nothing.
LoadResult run_redis_benchmark(const Endpoint& ep, std::chrono::seconds duration);

// Parses `redis-benchmark --csv` output: "test","rps",... -> (test, rps).
std::vector<std::pair<std::string, double>> parse_redis_benchmark_csv(const std::string& out);

}  // namespace hap
