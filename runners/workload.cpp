#include "workload.h"

#include "redis_workload.h"

namespace hap {

std::vector<std::string> known_workloads() { return {"redis"}; }

std::unique_ptr<Workload> make_workload(const std::string& name) {
    if (name == "redis") return std::make_unique<RedisWorkload>();
    std::string known;
    for (const auto& w : known_workloads()) known += (known.empty() ? "" : ", ") + w;
    throw UserError("unknown workload '" + name + "'", "known workloads: " + known, kExitUsage);
}

Argv in_netns(const std::string& netns, Argv argv) {
    if (netns.empty()) return argv;
    Argv out = {"ip", "netns", "exec", netns};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

}  // namespace hap
