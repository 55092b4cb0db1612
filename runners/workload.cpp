#include "workload.h"

#include <unistd.h>

#include <algorithm>

#include "files.h"
#include "http_probe.h"
#include "load_command.h"
#include "redis_load.h"
#include "wrk_load.h"

namespace hap {
namespace {

// The built-in workload files (runners/workloads/*.toml), compiled in.
struct BuiltinFile {
    const char* file;  // "redis.toml"
    const char* text;
};
const BuiltinFile kBuiltins[] = {
#include "builtin_workloads.inc"
};

std::string builtin_name(const BuiltinFile& b) {
    std::string f = b.file;
    return f.substr(0, f.size() - std::string(".toml").size());
}

bool looks_like_file(const std::string& arg) {
    return arg.find('/') != std::string::npos ||
           (arg.size() > 5 && arg.compare(arg.size() - 5, 5, ".toml") == 0);
}

}  // namespace

std::vector<std::string> known_workloads() {
    // The published order: redis first, then the HTTP ones.
    std::vector<std::string> names = {"redis", "python", "node", "nginx"};
    for (const auto& b : kBuiltins)
        if (std::find(names.begin(), names.end(), builtin_name(b)) == names.end()) names.push_back(builtin_name(b));
    return names;
}

std::unique_ptr<Workload> make_workload(const std::string& arg) {
    if (looks_like_file(arg)) return std::make_unique<Workload>(load_workload_file(arg));
    for (const auto& b : kBuiltins) {
        if (builtin_name(b) != arg) continue;
        if (::access(arg.c_str(), F_OK) == 0)
            throw UserError("'" + arg + "' is both a built-in workload and a file in the working directory",
                            "say ./" + arg + " for the file, or run from another directory for the built-in", kExitUsage);
        return std::make_unique<Workload>(parse_workload_spec(b.text, "builtin:" + std::string(b.file)));
    }
    std::string known;
    for (const auto& w : known_workloads()) known += (known.empty() ? "" : ", ") + w;
    throw UserError("unknown workload '" + arg + "'", "known workloads: " + known + ", or a workload file (PATH.toml)",
                    kExitUsage);
}

std::vector<std::string> Workload::debian_packages() const {
    std::vector<std::string> out;
    for (const auto& p : spec_.root.debian_packages) out.push_back(p.rfind("apt:", 0) == 0 ? p.substr(4) : p);
    return out;
}

std::vector<std::string> Workload::environment() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : spec_.env) out.push_back(k + "=" + v);
    return out;
}

bool Workload::wait_ready(const Endpoint& ep, std::chrono::seconds timeout) const {
    const ReadyProbe& p = spec_.ready;
    switch (p.kind) {
        case ReadyProbe::Kind::kRedisPing: return wait_redis_ping(ep, timeout);
        case ReadyProbe::Kind::kHttp: return wait_http_status(ep, p.http_path, p.http_status, timeout);
        case ReadyProbe::Kind::kTcp: return wait_tcp_connect(ep, timeout);
        case ReadyProbe::Kind::kCommand: break;
    }
    const Argv argv = in_netns(ep.netns, expand_placeholders(p.command, ep.address, ep.port, 0, spec_.load.concurrency));
    // A probe that cannot start never answers: said as such by the caller.
    return probe_until(timeout, [&] {
        RunOptions o;
        o.timeout = kReadyAttemptTimeout;
        auto r = run_command(argv, o);
        return r && r->succeeded();
    });
}

void Workload::run_setup(const Endpoint& ep, std::chrono::seconds duration) const {
    for (size_t i = 0; i < spec_.setup.size(); ++i) run_setup_step(spec_.setup[i], i, ep, duration, spec_.load.concurrency);
}

LoadResult Workload::run_load(const Endpoint& ep, std::chrono::seconds duration) const {
    switch (spec_.load.kind) {
        case LoadSpec::Kind::kRedisBenchmark: return run_redis_benchmark(ep, duration);
        case LoadSpec::Kind::kWrk: return run_wrk(ep, spec_.load.http_path, duration);
        case LoadSpec::Kind::kCommand: break;
    }
    return run_load_command(spec_.load, ep, duration);
}

std::string Workload::refusal(const std::string& runtime) const {
    auto it = spec_.refuse.find(runtime);
    return it == spec_.refuse.end() ? "" : it->second;
}

Argv in_netns(const std::string& netns, Argv argv) {
    if (netns.empty()) return argv;
    Argv out = {"ip", "netns", "exec", netns};
    out.insert(out.end(), argv.begin(), argv.end());
    return out;
}

}  // namespace hap
