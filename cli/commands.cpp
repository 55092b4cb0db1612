#include "command.h"

namespace hap::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"measure", "run a workload in a runtime under load and store its attack profile", cmd_measure},
        {"trace", "store the host kernel surface of any command, start to exit", cmd_trace},
        {"runs", "list stored runs", cmd_runs},
        {"export", "write stored runs as CSV, TSV, JSON, or one row per symbol", cmd_export},
        {"lab", "run a hapctl command in a QEMU VM on a stock kernel, bring the results back", cmd_lab},
        {"compare", "measure a runtime x workload matrix, N reps a cell; resumable", cmd_compare},
        {"report", "HAP figures per cell: n, mean, sd, min, max, 95% CI, union", cmd_report},
        {"chart", "bars per runtime and workload, and HAP vs throughput (gnuplot)", cmd_chart},
        {"diff", "functions and syscalls added and removed between two run sets", cmd_diff},
        {"check", "CI gate: fail when a candidate widens the HAP beyond a threshold", cmd_check},
        {"merge", "combine databases without duplicating hosts, kernels or runs", cmd_merge},
        {"complexity", "import or export a kernel's cyclomatic complexity table (HAP_cc)", cmd_complexity},
        {"sources", "import where a kernel's functions live (file, MAINTAINERS section); locate names; coverage", cmd_sources},
        {"snapshot", "record a process tree (threads, cgroups, kernel-thread owners) as JSON, for discovery fixtures", cmd_snapshot},
        {"workload", "list the built-in workloads, check a workload file, show one", cmd_workload},
        {"doctor", "tell what this host can measure, and why not", cmd_doctor},
    };
    return table;
}

}  // namespace hap::cli
