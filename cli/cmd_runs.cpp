// hapctl runs: what the store holds, one line a run.
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "open_store.h"
#include "options.h"
#include "run_summary.h"
#include "text_table.h"

namespace hap::cli {

int cmd_runs(const std::vector<std::string>& args) {
    std::string db, status, runtime, workload;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "status", po::value(&status), "only runs with this status: complete, running, aborted, failed")(
        "runtime", po::value(&runtime), "only this runtime")("workload", po::value(&workload), "only this workload");
    po::variables_map vm;
    if (!parse_options("runs", "[options]", desc, args, vm)) return 0;
    RunFilter f;
    if (!status.empty()) f.status = status;
    if (!runtime.empty()) f.runtime = runtime;
    if (!workload.empty()) f.workload = workload;
    auto store = open_existing_store(db);
    auto runs = summarize_runs(*store, f);
    if (!runs) throw UserError(runs.error().describe());
    TextTable t({"id", "status", "runtime", "platform", "workload", "kernel", "mode", "rep", "HAP_fn", "HAP_sys",
                 "lost", "throughput", "untraced", "window", "started", "reason"});
    auto n = [](const auto& v) { return v ? fmt::format("{}", *v) : std::string("-"); };
    for (const auto& s : *runs) {
        const auto& r = s.run;
        const std::string note = window_note(r.settings_json);  // trace --delay/--duration/SIGUSR1
        t.add({std::to_string(r.id), r.status, r.runtime, r.platform.empty() ? "-" : r.platform, r.workload,
               r.kernel_release, r.mode, std::to_string(r.repetition), n(s.hap_fn), n(s.hap_sys), n(r.lost_events),
               r.throughput ? fmt::format("{:.0f}", *r.throughput) : "-",
               r.throughput_untraced ? fmt::format("{:.0f}", *r.throughput_untraced) : "-", note.empty() ? "-" : note, r.started_at, r.reason});
    }
    t.print(std::cout);
    return 0;
}

}  // namespace hap::cli
