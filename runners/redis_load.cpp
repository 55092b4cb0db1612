#include "redis_load.h"

#include <algorithm>
#include <map>
#include <thread>

#include "files.h"
#include "http_probe.h"
#include "interrupt.h"

namespace hap {

using Clock = std::chrono::steady_clock;

bool wait_redis_ping(const Endpoint& ep, std::chrono::seconds timeout) {
    const Argv argv = in_netns(ep.netns, {"redis-cli", "-h", ep.address, "-p", std::to_string(ep.port), "PING"});
    return probe_until(timeout, [&] {
        RunOptions o;
        o.timeout = kReadyAttemptTimeout;
        auto r = run_command(argv, o);
        return r && r->succeeded() && trim(r->out) == "PONG";
    });
}

std::vector<std::pair<std::string, double>> parse_redis_benchmark_csv(const std::string& out) {
    std::vector<std::pair<std::string, double>> rows;
    for (const auto& line : split(out, '\n')) {
        auto cells = split(trim(line), ',');
        if (cells.size() < 2) continue;
        auto unquote = [](std::string s) {
            if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
            return s;
        };
        std::string test = unquote(cells[0]), rps = unquote(cells[1]);
        if (test == "test") continue;  // header of redis 7's CSV
        try {
            rows.emplace_back(test, std::stod(rps));
        } catch (...) {
        }
    }
    return rows;
}

LoadResult run_redis_benchmark(const Endpoint& ep, std::chrono::seconds duration) {
    // redis-benchmark has no duration flag: rounds of a request count until
    // the time is used. The first round is small (two requests per client)
    // and later rounds are sized from the rate seen, so a slow sandbox
    // (gVisor ptrace, a TCG guest under function_graph, a nested KVM guest
    // under function_graph at a few requests a second) gets a few seconds a
    // round, not a fixed 20000 requests.
    LoadResult res;
    res.unit = "requests/s";
    const auto start = Clock::now();
    std::map<std::string, std::pair<double, int>> rates;  // test -> sum of rps, rounds
    int rounds = 0;
    long per_round = 100;
    do {
        RunOptions o;
        o.timeout = std::chrono::seconds(std::max<long>(300, 3 * duration.count()));
        auto r = run_command(in_netns(ep.netns, {"redis-benchmark", "-h", ep.address, "-p", std::to_string(ep.port),
                                                 "-t", "set,get", "-n", std::to_string(per_round), "-c", "50",
                                                 "--csv"}),
                             o);
        if (!r) throw UserError("cannot start redis-benchmark: " + r.error().describe(), "install redis-tools");
        if (interrupted()) break;
        auto rows = parse_redis_benchmark_csv(r->out);
        if (!r->succeeded() || rows.empty())
            throw UserError("redis-benchmark failed against " + ep.address + ":" + std::to_string(ep.port) + " (" +
                            r->summary() + ")");
        double slowest = 0;
        for (const auto& [test, rps] : rows) {
            rates[test].first += rps;
            rates[test].second += 1;
            slowest = slowest == 0 ? rps : std::min(slowest, rps);
        }
        res.requests += static_cast<uint64_t>(per_round) * rows.size();
        ++rounds;
        // Aim the next round at about 2 s per test, within the time left.
        const double left = std::chrono::duration<double>(duration).count() -
                            std::chrono::duration<double>(Clock::now() - start).count();
        const double target = std::clamp(std::min(2.0, left / static_cast<double>(rows.size())), 0.2, 2.0);
        per_round = std::clamp(static_cast<long>(slowest * target), 100L, 200000L);
    } while (Clock::now() - start < duration && !interrupted());
    res.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double sum = 0;
    for (const auto& [test, acc] : rates) {
        double mean = acc.first / acc.second;
        sum += mean;
        if (!res.detail.empty()) res.detail += ", ";
        res.detail += test + " " + std::to_string(static_cast<long>(mean)) + " r/s";
    }
    // The figure is the mean over the tests (SET, GET) of each one's mean rate.
    res.throughput = rates.empty() ? 0 : sum / static_cast<double>(rates.size());
    res.detail += " (" + std::to_string(rounds) + " rounds)";
    return res;
}

}  // namespace hap
