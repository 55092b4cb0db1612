// hapctl sources import|locate|coverage: where a kernel's functions live
// (issue 23). The table of function -> source file comes from the kernel's
// source by name (scripts/sources/build-table, with the same tree's
// MAINTAINERS beside it) and is stored per kernel release, like the
// complexity table.
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "open_store.h"
#include "options.h"
#include "source_map.h"
#include "text_table.h"

namespace hap::cli {
namespace {

const char* status_name(SourceLocation::Status s) {
    switch (s) {
    case SourceLocation::Status::Mapped: return "mapped";
    case SourceLocation::Status::Ambiguous: return "ambiguous";
    case SourceLocation::Status::Unmapped: break;
    }
    return kUnmapped;
}

SourceMap require_map(Store& store, const std::string& kernel, const std::string& db) {
    auto stored = store.source_map(kernel);
    if (!stored) throw UserError(stored.error().describe());
    if (!*stored)
        throw UserError("no source map for kernel " + kernel + " in " + db,
                        "build one with scripts/sources/build-table and import it with `hapctl sources import FILE.csv --maintainers "
                        "FILE.csv.MAINTAINERS --kernel " + kernel + "`");
    return SourceMap::from_stored(**stored);
}

}  // namespace

int cmd_sources(const std::vector<std::string>& args) {
    std::string db, action, kernel, maintainers;
    std::vector<std::string> operands;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "kernel,k", po::value(&kernel)->required(), "kernel release the map belongs to (uname -r of the measured kernel)")(
        "maintainers", po::value(&maintainers), "import: the MAINTAINERS of the same source (default FILE.csv.MAINTAINERS, which build-table writes)")(
        "action", po::value(&action)->required(), "")("operands", po::value(&operands)->composing(), "");
    po::positional_options_description pos;
    pos.add("action", 1).add("operands", -1);
    po::variables_map vm;
    if (!parse_options("sources",
                       "import FILE.csv --maintainers MAINTAINERS --kernel R  |  locate NAME... --kernel R  |  coverage --kernel R",
                       desc, args, vm, &pos))
        return 0;
    if (action == "import") {
        if (operands.size() != 1) throw UserError("sources import takes one FILE.csv", "", kExitUsage);
        const std::string& file = operands.front();
        if (maintainers.empty()) maintainers = file + ".MAINTAINERS";
        std::ifstream in(file);
        if (!in) throw UserError("cannot read " + file);
        StoredSourceMap map;
        map.origin = file;
        auto rows = parse_source_csv(in, file, &map.description);
        if (!rows) throw UserError(rows.error().describe(), "scripts/sources/build-table makes the file");
        map.rows = std::move(*rows);
        std::ifstream m(maintainers);
        if (!m) throw UserError("cannot read " + maintainers, "give the source's MAINTAINERS with --maintainers");
        std::ostringstream text;
        text << m.rdbuf();
        map.maintainers = text.str();
        std::istringstream check(map.maintainers);
        auto parsed = Maintainers::parse(check);
        if (parsed.size() == 0) throw UserError(maintainers + " has no MAINTAINERS sections");
        auto store = Store::open(db);
        if (!store) throw UserError(store.error().describe());
        if (auto st = (*store)->import_source_map(kernel, map); !st) throw UserError(st.error().describe());
        std::cout << fmt::format("imported {} definitions and {} MAINTAINERS sections for kernel {} into {}\n  source: {}\n",
                                 map.rows.size(), parsed.size(), kernel, db, map.description.empty() ? "(not said)" : map.description);
        return 0;
    }
    if (action == "locate") {
        if (operands.empty()) throw UserError("sources locate needs a function name", "", kExitUsage);
        auto store = open_existing_store(db);
        const SourceMap map = require_map(*store, kernel, db);
        TextTable t({"name", "status", "file", "section", "directory"});
        for (const auto& n : operands) {
            // "sys:read" asks for a syscall, as `diff` groups them.
            const bool sys = n.rfind("sys:", 0) == 0;
            auto loc = map.locate(sys ? "syscall" : "function", sys ? n.substr(4) : n);
            t.add({n, status_name(loc.status), loc.files.empty() ? "-" : loc.file(), loc.section, loc.directory});
        }
        t.print(std::cout);
        std::cout << "source: " << map.description() << "\n";
        return 0;
    }
    if (action == "coverage") {
        auto store = open_existing_store(db);
        const SourceMap map = require_map(*store, kernel, db);
        RunSelection sel;
        sel.kernel = kernel;
        auto runs = load_run_sets(*store, sel);
        if (!runs) throw UserError(runs.error().describe());
        std::set<std::string> functions, syscalls;
        for (const auto& r : *runs) {
            if (auto it = r.names.find("hap_fn"); it != r.names.end()) functions.insert(it->second.begin(), it->second.end());
            if (auto it = r.names.find("hap_sys"); it != r.names.end()) syscalls.insert(it->second.begin(), it->second.end());
        }
        if (functions.empty() && syscalls.empty())
            throw UserError("no complete runs on kernel " + kernel + " in " + db, "coverage is of the functions stored runs reached");
        TextTable t({"names", "total", "mapped", "ambiguous", "unmapped", "mapped %", "with a section %"});
        std::vector<std::string> unmapped;
        auto row = [&](const char* label, const char* kind, const std::set<std::string>& names) {
            size_t n[3] = {0, 0, 0}, sectioned = 0;
            for (const auto& name : names) {
                auto loc = map.locate(kind, name);
                ++n[static_cast<int>(loc.status)];
                if (loc.section != kUnmapped && loc.section != kAmbiguous) ++sectioned;
                if (loc.status == SourceLocation::Status::Unmapped) unmapped.push_back(std::string(kind == std::string("syscall") ? "sys:" : "") + name);
            }
            if (names.empty()) return;
            t.add({label, std::to_string(names.size()), std::to_string(n[0]), std::to_string(n[1]), std::to_string(n[2]),
                   fmt::format("{:.1f}", 100.0 * n[0] / names.size()), fmt::format("{:.1f}", 100.0 * sectioned / names.size())});
        };
        row("functions (hap_fn)", "function", functions);
        row("syscalls (hap_sys)", "syscall", syscalls);
        t.print(std::cout);
        std::cout << fmt::format("over the union of {} complete runs on {}; source: {}\n", runs->size(), kernel, map.description());
        std::string list;
        for (const auto& u : unmapped) list += " " + u;
        if (!unmapped.empty()) std::cout << "unmapped (" << unmapped.size() << "):" << list << "\n";
        return 0;
    }
    throw UserError("unknown action '" + action + "'", "use `hapctl sources import`, `locate` or `coverage`", kExitUsage);
}

}  // namespace hap::cli
