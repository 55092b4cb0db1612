// hapctl measure: one runtime x workload cell, N repetitions, stored.
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "cell_figures.h"
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
    // Per-role columns for the roles this sandbox had (unknown is not counted).
    std::set<std::string> fn_roles, sys_roles;
    bool hc = false, recorded = false;
    for (const auto& rep : r.reps) {
        recorded = recorded || !rep.record.empty();
        for (const auto& [role, n] : rep.functions_by_role)
            if (role != "unknown") fn_roles.insert(role);
        for (const auto& [role, n] : rep.syscalls_by_role)
            if (role != "unknown") sys_roles.insert(role);
        hc = hc || rep.unique_hc.has_value();
    }
    std::vector<std::string> header = {"rep", "run", "status", "HAP_fn"};
    for (const auto& role : fn_roles) header.push_back("fn:" + role);
    header.push_back("HAP_sys");
    for (const auto& role : sys_roles) header.push_back("sys:" + role);
    if (hc) header.push_back("HAP_hc");
    bool untraced = false;
    for (const auto& rep : r.reps) untraced = untraced || rep.throughput_untraced.has_value();
    for (const char* h : {"events", "lost", "throughput"}) header.push_back(h);
    if (untraced) header.push_back("untraced");
    if (recorded) header.push_back("record");
    TextTable t(header);
    double sum_sys = 0, sum_tp = 0;
    int n = 0;
    for (const auto& rep : r.reps) {
        auto role = [](const std::map<std::string, int64_t>& m, const std::string& name) {
            auto it = m.find(name);
            return it == m.end() ? std::string("0") : std::to_string(it->second);
        };
        std::vector<std::string> row = {std::to_string(rep.repetition), std::to_string(rep.run_id), rep.status,
                                         opt_num(rep.unique_functions)};
        for (const auto& r2 : fn_roles) row.push_back(role(rep.functions_by_role, r2));
        row.push_back(opt_num(rep.unique_syscalls));
        for (const auto& r2 : sys_roles) row.push_back(role(rep.syscalls_by_role, r2));
        if (hc) row.push_back(opt_num(rep.unique_hc));
        row.push_back(std::to_string(rep.events));
        row.push_back(std::to_string(rep.lost));
        row.push_back(fmt::format("{:.0f} {}", rep.throughput, rep.unit));
        if (untraced) row.push_back(rep.throughput_untraced ? fmt::format("{:.0f} {}", *rep.throughput_untraced, rep.unit) : "-");
        if (recorded) row.push_back(rep.record.empty() ? "-" : rep.record);
        t.add(row);
        if (rep.unique_syscalls) sum_sys += static_cast<double>(*rep.unique_syscalls);
        sum_tp += rep.throughput;
        ++n;
    }
    t.print(std::cout);
    bool functions = false;
    for (const auto& rep : r.reps) functions = functions || rep.unique_functions.has_value();
    if (functions) std::cout << kHapFnCounts << "; `hapctl report` shows both\n";
    if (n > 1) std::cout << fmt::format("mean: HAP_sys {:.1f}, throughput {:.0f} (traced)\n", sum_sys / n, sum_tp / n);
    if (untraced) std::cout << "throughput: while traced; untraced: the same load in a fresh sandbox, nothing traced\n";
}

}  // namespace

int cmd_measure(const std::vector<std::string>& args) {
    MeasureRequest req;
    int duration = 10, ready = 60;
    po::options_description desc("options");
    const std::string runtimes = joined(known_runtimes()),
                      workloads = joined(known_workloads()) + ", or a workload file (PATH.toml; hapctl workload check PATH)";
    desc.add_options()
        ("runtime,r", po::value(&req.runtime)->required(), runtimes.c_str())
        ("workload,w", po::value(&req.workload)->required(), workloads.c_str())
        ("platform", po::value(&req.platform),
         "gVisor platform: one the runsc binary names (default: the binary's own, systrap on runsc 2024; hapctl "
         "doctor lists them); vm: q35 (default) or microvm")
        ("mode,m", po::value(&req.mode_spec)->default_value("auto"),
         "capture modes: auto, or a comma list of syscalls, kvm, function, function_graph, function_retire (function, with each function untraced once every role reached it; stored as its own mode)")
        ("reps,n", po::value(&req.reps)->default_value(1), "repetitions (a fresh sandbox each)")
        ("duration,d", po::value(&duration)->default_value(10), "seconds of load per repetition")
        ("db", po::value(&req.db_path)->default_value(default_db_path()), "SQLite store ($HAP_DB)")
        ("buffer-kb", po::value(&req.buffer_kb)->default_value(16384), "ring buffer per CPU, KiB")
        ("record", po::value(&req.record_dir), "also keep the raw capture of each repetition in DIR/rep-N")
        ("no-untraced", "skip each repetition's untraced baseline (the same load in a fresh sandbox, nothing traced)")
        ("docker-host", po::value(&req.docker_host), "use this engine instead of a private dockerd")
        ("ready-timeout", po::value(&ready)->default_value(60), "seconds to wait for the workload to answer")
        ("guest-kernel", po::value(&req.vm.kernel), "vm: the guest's vmlinuz-VERSION (default $HAP_VM_KERNEL, else /boot's)")
        ("guest-cpus", po::value(&req.vm.cpus)->default_value(1), "vm: vCPUs of the guest")
        ("guest-mem", po::value(&req.vm.mem_mb)->default_value(512), "vm: guest memory, MB")
        ("guest-append", po::value(&req.vm.append), "vm: extra guest kernel parameters (stored with the run)")
        ("guest-shared-fs", po::value(&req.vm.shared_fs),
         "vm q35: how the root is shared, as Kata's shared_fs: virtio-fs (default where virtiofsd is installed) or virtio-9p")
        ("nabla-image", po::value(&req.nabla_images)->composing(), kNablaImageHelp)
        ("no-daemon", "measure in-process even when hapd runs ($HAP_SOCKET, default /run/hap/hapd.sock)")
        ("no-wait", "through hapd: answer busy instead of queueing behind other sessions");
    po::variables_map vm;
    if (!parse_options("measure", "--runtime R --workload W [options]", desc, args, vm)) return 0;
    req.duration = std::chrono::seconds(duration);
    req.untraced_baseline = !vm.count("no-untraced");
    req.ready_timeout = std::chrono::seconds(ready);
    req.nabla_images = absolute_nabla_images(req.nabla_images);
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
