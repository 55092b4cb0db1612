#include "workload.h"

#include "nginx_workload.h"
#include "node_workload.h"
#include "python_workload.h"
#include "redis_workload.h"

namespace hap {

std::vector<std::string> known_workloads() { return {"redis", "python", "node", "nginx"}; }

std::unique_ptr<Workload> make_workload(const std::string& name) {
    if (name == "redis") return std::make_unique<RedisWorkload>();
    if (name == "python") return std::make_unique<PythonWorkload>();
    if (name == "node") return std::make_unique<NodeWorkload>();
    if (name == "nginx") return std::make_unique<NginxWorkload>();
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
