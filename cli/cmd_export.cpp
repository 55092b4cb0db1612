// hapctl export: tidy per-run rows for analysis tools.
#include <fstream>
#include <iostream>

#include "command.h"
#include "long_export.h"
#include "open_store.h"
#include "options.h"
#include "run_export.h"

namespace hap::cli {

int cmd_export(const std::vector<std::string>& args) {
    std::string db, format, output;
    bool all = false;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "format,f", po::value(&format)->default_value("csv"), "csv, tsv, json, or long (one row per run, role and symbol: CSV)")(
        "output,o", po::value(&output), "write to FILE instead of standard output")(
        "all", po::bool_switch(&all), "include running, aborted and failed runs (default: complete only)");
    po::variables_map vm;
    if (!parse_options("export", "[--format csv|tsv|json|long] [options]", desc, args, vm)) return 0;
    if (format != "csv" && format != "tsv" && format != "json" && format != "long")
        throw UserError("unknown format '" + format + "'", "use --format csv, tsv, json or long", kExitUsage);
    auto store = open_existing_store(db);
    RunFilter f;
    if (!all) f.status = "complete";
    auto runs = summarize_runs(*store, f);
    if (!runs) throw UserError(runs.error().describe());
    std::ofstream file;
    if (!output.empty()) {
        file.open(output);
        if (!file) throw UserError("cannot write " + output);
    }
    std::ostream& out = output.empty() ? std::cout : file;
    if (format == "long") {
        std::vector<RunRow> rows;
        for (const auto& r : *runs) rows.push_back(r.run);
        if (auto st = write_long_csv(out, *store, rows); !st) throw UserError(st.error().describe());
    } else if (format == "csv") write_runs_csv(out, *runs);
    else if (format == "tsv") write_runs_tsv(out, *runs);
    else write_runs_json(out, *runs);
    if (runs->empty()) std::cerr << "hapctl export: no " << (all ? "" : "complete ") << "runs in " << db << "\n";
    return 0;
}

}  // namespace hap::cli
