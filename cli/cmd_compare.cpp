// hapctl compare: the runtime x workload x repetitions matrix in one command,
// through the same engine as `hapctl measure`. Resumable: a cell that already
// has N complete runs on this kernel in the database is skipped, a cell with
// fewer gets only the missing repetitions.
#include <sys/utsname.h>

#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "engine/measurement.h"
#include "files.h"
#include "options.h"
#include "runner.h"
#include "workload.h"
#include "store.h"

namespace hap::cli {
namespace {

std::string kernel_release() {
    struct utsname u {};
    return ::uname(&u) == 0 ? u.release : "";
}

// One column of the matrix: "runsc/ptrace", "vm/microvm", "docker:runsc",
// "runc". The platform after '/' is the cell's own; without one, --platform
// (or the runtime's default) applies.
struct RuntimeCell {
    std::string runtime, platform;
};

RuntimeCell parse_runtime_cell(const std::string& text, const std::string& default_platform) {
    const auto slash = text.find('/');
    if (slash == std::string::npos) return {text, default_platform};
    RuntimeCell c{text.substr(0, slash), text.substr(slash + 1)};
    if (c.runtime.empty() || c.platform.empty() || c.platform.find('/') != std::string::npos)
        throw UserError("--runtimes: '" + text + "' is not RUNTIME or RUNTIME/PLATFORM", "e.g. runc,runsc/ptrace,vm/q35,vm/microvm",
                        kExitUsage);
    return c;
}

// Complete runs of the cell on this kernel: runtime and platform as the
// runner stores them (exactly: ptrace runs never count as systrap runs), and
// an explicit mode must match too.
int complete_runs(const std::string& db, const std::string& runtime, const std::string& platform,
                  const std::string& workload, const std::string& mode, const std::string& kernel) {
    if (!path_exists(db)) return 0;
    auto store = Store::open(db);
    if (!store) throw UserError(store.error().describe());
    RunFilter f;
    f.status = "complete";
    f.runtime = runtime;
    f.workload = workload;
    auto runs = (*store)->runs(f);
    if (!runs) throw UserError(runs.error().describe());
    int n = 0;
    for (const auto& r : *runs)
        if (r.kernel_release == kernel && r.platform == platform && (mode == "auto" || r.mode == mode)) ++n;
    return n;
}

std::string duration_text(double s) {
    const auto t = static_cast<long>(s + 0.5);
    return t >= 3600 ? fmt::format("{}h{:02}m", t / 3600, t / 60 % 60) : fmt::format("{}m{:02}s", t / 60, t % 60);
}

}  // namespace

int cmd_compare(const std::vector<std::string>& args) {
    MeasureRequest base;
    std::string runtimes_arg, workloads_arg;
    int duration = 10, ready = 60;
    po::options_description desc("options");
    const std::string runtimes_help =
        "comma list of RUNTIME or RUNTIME/PLATFORM (e.g. runc,runsc/ptrace,vm/q35,vm/microvm); runtimes: " + joined(known_runtimes());
    const std::string workloads_help =
        "comma list of built-ins (" + joined(known_workloads()) + ") and workload files (PATH.toml)";
    desc.add_options()
        ("runtimes", po::value(&runtimes_arg)->required(), runtimes_help.c_str())
        ("workloads", po::value(&workloads_arg)->required(), workloads_help.c_str())
        ("reps,n", po::value(&base.reps)->default_value(3), "complete runs wanted per cell")
        ("platform", po::value(&base.platform), "platform of cells that name none (RUNTIME/PLATFORM names a cell's own)")
        ("mode,m", po::value(&base.mode_spec)->default_value("auto"), "capture modes, as for measure")
        ("duration,d", po::value(&duration)->default_value(10), "seconds of load per repetition")
        ("db", po::value(&base.db_path)->default_value(default_db_path()), "SQLite store ($HAP_DB)")
        ("buffer-kb", po::value(&base.buffer_kb)->default_value(16384), "ring buffer per CPU, KiB")
        ("record", po::value(&base.record_dir), "keep raw captures under DIR/RUNTIME-WORKLOAD/rep-N")
        ("no-untraced", "skip each repetition's untraced baseline (the same load in a fresh sandbox, nothing traced)")
        ("docker-host", po::value(&base.docker_host), "use this engine instead of a private dockerd")
        ("ready-timeout", po::value(&ready)->default_value(60), "seconds to wait for the workload to answer")
        ("guest-kernel", po::value(&base.vm.kernel), "vm cells: the guest's vmlinuz-VERSION")
        ("guest-cpus", po::value(&base.vm.cpus)->default_value(1), "vm cells: vCPUs of the guest")
        ("guest-mem", po::value(&base.vm.mem_mb)->default_value(512), "vm cells: guest memory, MB")
        ("guest-shared-fs", po::value(&base.vm.shared_fs), "vm/q35 cells: virtio-fs or virtio-9p")
        ("nabla-image", po::value(&base.nabla_images)->composing(), kNablaImageHelp);
    po::variables_map vm;
    if (!parse_options("compare", "--runtimes a,b --workloads x,y [--reps N] [options]", desc, args, vm)) return 0;
    if (base.reps < 1 || base.reps > 1000) throw UserError("--reps must be between 1 and 1000", "", kExitUsage);
    base.duration = std::chrono::seconds(duration);
    base.untraced_baseline = !vm.count("no-untraced");
    base.ready_timeout = std::chrono::seconds(ready);
    base.nabla_images = absolute_nabla_images(base.nabla_images);
    std::vector<std::string> runtimes, workloads;
    for (auto& r : split(runtimes_arg, ',')) if (!trim(r).empty()) runtimes.push_back(trim(r));
    for (auto& w : split(workloads_arg, ',')) if (!trim(w).empty()) workloads.push_back(trim(w));
    if (runtimes.empty() || workloads.empty()) throw UserError("--runtimes and --workloads need at least one name each", "", kExitUsage);

    const std::string kernel = kernel_release();
    // Each cell's runtime and platform as its runner stores them (the
    // runner's default platform included), resolved before anything runs, so
    // a misspelt cell fails at once and resuming matches exactly.
    // A workload is named by its file's name (a path in the list is a file).
    struct Todo { std::string runtime, platform, workload_arg, workload; int have; };
    std::vector<Todo> cells;
    int remaining = 0;
    for (const auto& w : workloads)
        for (const auto& text : runtimes) {
            const RuntimeCell rc = parse_runtime_cell(text, base.platform);
            auto workload = make_workload(w);
            RunnerOptions ro{rc.runtime, rc.platform, base.state_dir, base.cache_dir, base.docker_host, base.vm, base.nabla_images};
            auto runner = make_runner(ro, *workload);
            const std::string stored_runtime = runner->runtime(), stored_platform = runner->platform();
            runner.reset();
            const int have = complete_runs(base.db_path, stored_runtime, stored_platform, workload->name(), base.mode_spec, kernel);
            cells.push_back({rc.runtime, rc.platform, w, workload->name(), have});
            remaining += std::max(0, base.reps - have);
        }
    const size_t total = cells.size();
    std::cerr << fmt::format("hapctl compare: {} cells x {} reps on kernel {}; {} repetitions to measure\n", total, base.reps, kernel, remaining);
    // Until a repetition has been timed, guess the load plus start-up and teardown.
    double per_rep = duration + 20.0;
    double measured_seconds = 0;
    int measured = 0;
    size_t done = 0;
    for (const auto& cell : cells) {
        const int need = base.reps - cell.have;
        const std::string name = cell.runtime + (cell.platform.empty() ? "" : "/" + cell.platform) + " " + cell.workload;
        if (need <= 0) {
            ++done;
            std::cerr << fmt::format("hapctl compare: [{}/{} cells] {}: {} complete runs stored, skipped\n", done, total, name, cell.have);
            continue;
        }
        std::cerr << fmt::format("hapctl compare: [{}/{} cells done] {}: {} stored, measuring {}; about {} left\n", done, total,
                                 name, cell.have, need, duration_text(per_rep * remaining));
        MeasureRequest req = base;
        req.runtime = cell.runtime;
        req.platform = cell.platform;
        req.workload = cell.workload_arg;
        req.reps = need;
        if (!base.record_dir.empty())
            req.record_dir = base.record_dir + "/" + cell.runtime + (cell.platform.empty() ? "" : "-" + cell.platform) + "-" + cell.workload;
        const auto t0 = std::chrono::steady_clock::now();
        try {
            run_measurement(req, [&](const std::string& line) { std::cerr << "hapctl: " << line << "\n"; });
        } catch (const UserError& e) {
            throw UserError(fmt::format("{} (cell {}, {} of {} cells done)", e.what(), name, done, total),
                            e.hint().empty() ? "run the same command again to resume: complete cells are skipped" : e.hint(),
                            e.exit_code());
        }
        measured_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        measured += need;
        remaining -= need;
        per_rep = measured_seconds / measured;
        ++done;
    }
    std::cerr << fmt::format("hapctl compare: {}/{} cells complete in {}\n", done, total, base.db_path);
    std::cout << fmt::format("stored in {}; `hapctl report --db {}` shows the figures\n", base.db_path, base.db_path);
    return 0;
}

}  // namespace hap::cli
