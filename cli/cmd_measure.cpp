// hapctl measure: one runtime x workload cell, N repetitions, stored.
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "engine/measurement.h"
#include "hapd/client.h"
#include "options.h"
#include "runner.h"
#include "workload.h"
#include "text_table.h"

namespace hap::cli {
namespace {

std::string opt_num(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }

void print_result(const MeasureResult& r) {
    std::cout << fmt::format("\n{} {} on {} (mode {}, network {})\n", r.runtime + (r.platform.empty() ? "" : "/" + r.platform),
                             r.workload, "this host", r.modes, r.network);
    TextTable t({"rep", "run", "status", "HAP_fn", "HAP_sys", "sys:workload", "sys:runtime", "events", "lost",
                 "throughput"});
    double sum_sys = 0, sum_tp = 0;
    int n = 0;
    for (const auto& rep : r.reps) {
        auto role = [&](const char* name) {
            auto it = rep.syscalls_by_role.find(name);
            return it == rep.syscalls_by_role.end() ? std::string(rep.unique_syscalls ? "0" : "-") : std::to_string(it->second);
        };
        t.add({std::to_string(rep.repetition), std::to_string(rep.run_id), rep.status, opt_num(rep.unique_functions),
               opt_num(rep.unique_syscalls), role("workload"), role("runtime"), std::to_string(rep.events),
               std::to_string(rep.lost), fmt::format("{:.0f} {}", rep.throughput, rep.unit)});
        if (rep.unique_syscalls) sum_sys += static_cast<double>(*rep.unique_syscalls);
        sum_tp += rep.throughput;
        ++n;
    }
    t.print(std::cout);
    if (n > 1) std::cout << fmt::format("mean: HAP_sys {:.1f}, throughput {:.0f}\n", sum_sys / n, sum_tp / n);
}

}  // namespace

int cmd_measure(const std::vector<std::string>& args) {
    MeasureRequest req;
    int duration = 10, ready = 60;
    po::options_description desc("options");
    const std::string runtimes = joined(known_runtimes()), workloads = joined(known_workloads());
    desc.add_options()
        ("runtime,r", po::value(&req.runtime)->required(), runtimes.c_str())
        ("workload,w", po::value(&req.workload)->required(), workloads.c_str())
        ("platform", po::value(&req.platform), "gVisor platform: ptrace (default), kvm, or systrap where runsc has it")
        ("mode,m", po::value(&req.mode_spec)->default_value("auto"),
         "capture modes: auto, or a comma list of syscalls, kvm, function, function_graph")
        ("reps,n", po::value(&req.reps)->default_value(1), "repetitions (a fresh sandbox each)")
        ("duration,d", po::value(&duration)->default_value(10), "seconds of load per repetition")
        ("db", po::value(&req.db_path)->default_value(default_db_path()), "SQLite store ($HAP_DB)")
        ("buffer-kb", po::value(&req.buffer_kb)->default_value(16384), "ring buffer per CPU, KiB")
        ("record", po::value(&req.record_dir), "also keep the raw capture of each repetition in DIR/rep-N")
        ("docker-host", po::value(&req.docker_host), "use this engine instead of a private dockerd")
        ("ready-timeout", po::value(&ready)->default_value(60), "seconds to wait for the workload to answer")
        ("no-daemon", "measure in-process even when hapd runs ($HAP_SOCKET, default /run/hap/hapd.sock)")
        ("no-wait", "through hapd: answer busy instead of queueing behind other sessions");
    po::variables_map vm;
    if (!parse_options("measure", "--runtime R --workload W [options]", desc, args, vm)) return 0;
    req.duration = std::chrono::seconds(duration);
    req.ready_timeout = std::chrono::seconds(ready);
    auto progress = [](const std::string& line) { std::cerr << "hapctl: " << line << "\n"; };
    // Through hapd when it runs (it owns tracefs), else the same engine here.
    std::optional<MeasureResult> via_hapd;
    if (!vm.count("no-daemon")) via_hapd = hapd::measure_via_hapd(req, !vm.count("no-wait"), progress);
    auto result = via_hapd ? std::move(*via_hapd) : run_measurement(req, progress);
    print_result(result);
    std::cout << fmt::format("stored in {}\n", req.db_path);
    return 0;
}

}  // namespace hap::cli
