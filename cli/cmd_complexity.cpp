// hapctl complexity import|export FILE.csv --kernel RELEASE: the cyclomatic
// complexity table behind HAP_cc (scripts/complexity/build-table makes one
// from Debian's linux-source with pmccabe).
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "complexity_csv.h"
#include "open_store.h"
#include "options.h"

namespace hap::cli {

int cmd_complexity(const std::vector<std::string>& args) {
    std::string db, action, file, kernel;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "kernel,k", po::value(&kernel)->required(), "kernel release the table belongs to (uname -r of the measured kernel)")(
        "action", po::value(&action)->required(), "")("file", po::value(&file)->required(), "");
    po::positional_options_description pos;
    pos.add("action", 1).add("file", 1);
    po::variables_map vm;
    if (!parse_options("complexity", "import|export FILE.csv --kernel RELEASE", desc, args, vm, &pos)) return 0;
    if (action == "import") {
        std::ifstream in(file);
        if (!in) throw UserError("cannot read " + file);
        auto rows = parse_complexity_csv(in, file);
        if (!rows) throw UserError(rows.error().describe(), "the file needs a 'function,complexity' header and one function a line");
        auto store = Store::open(db);
        if (!store) throw UserError(store.error().describe());
        if (auto st = (*store)->import_complexity(kernel, *rows, file); !st) throw UserError(st.error().describe());
        auto table = (*store)->complexity(kernel);
        std::cout << fmt::format("imported {} rows as {} functions for kernel {} into {}\n", rows->size(),
                                 table ? table->size() : 0, kernel, db);
        return 0;
    }
    if (action == "export") {
        auto store = open_existing_store(db);
        auto table = store->complexity(kernel);
        if (!table) throw UserError(table.error().describe());
        if (table->empty()) throw UserError("no complexity table for kernel " + kernel + " in " + db, "import one with `hapctl complexity import FILE.csv --kernel " + kernel + "`");
        std::ofstream out(file);
        if (!out) throw UserError("cannot write " + file);
        write_complexity_csv(out, *table);
        std::cout << fmt::format("wrote {} functions of kernel {} to {}\n", table->size(), kernel, file);
        return 0;
    }
    throw UserError("unknown action '" + action + "'", "use `hapctl complexity import FILE.csv --kernel R` or `export`", kExitUsage);
}

}  // namespace hap::cli
