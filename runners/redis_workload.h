// redis-server in the sandbox, loaded by redis-benchmark (SET and GET), as in
// the published measurements.
#pragma once

#include "workload.h"

namespace hap {

class RedisWorkload : public Workload {
public:
    std::string name() const override { return "redis"; }
    std::vector<std::string> debian_packages() const override { return {"redis-server"}; }
    Argv command() const override;
    int port() const override { return 6379; }
    std::vector<std::string> scratch_dirs() const override { return {"/var/lib/redis", "/var/log/redis"}; }
    bool wait_ready(const Endpoint& ep, std::chrono::seconds timeout) const override;
    LoadResult run_load(const Endpoint& ep, std::chrono::seconds duration) const override;
    std::vector<std::string> host_tools() const override { return {"redis-cli", "redis-benchmark"}; }
};

// Parses `redis-benchmark --csv` output: "test","rps",... -> (test, rps).
std::vector<std::pair<std::string, double>> parse_redis_benchmark_csv(const std::string& out);

}  // namespace hap
