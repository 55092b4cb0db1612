// hapctl sources import|locate|coverage: where a kernel's functions live
// (issue 23). The table of function -> source file comes from the kernel's
// source by name (scripts/sources/build-table, with the same tree's
// MAINTAINERS beside it) and exactly from the debug symbols of the measured
// build (scripts/sources/build-exact-table); one import stores either or
// both per kernel release, like the complexity table.
#include <algorithm>
#include <fstream>
#include <map>
#include <iostream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "cell_figures.h"
#include "command.h"
#include "open_store.h"
#include "options.h"
#include "source_map.h"
#include "symbol_names.h"
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

const char* method_name(LocateBy m) {
    switch (m) {
    case LocateBy::Exact: return "exact";
    case LocateBy::Name: return "by name";
    case LocateBy::Best: break;
    }
    return "-";
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
    bool all = false;
    po::options_description desc("options");
    desc.add_options()("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")(
        "kernel,k", po::value(&kernel)->required(), "kernel release the map belongs to (uname -r of the measured kernel)")(
        "maintainers", po::value(&maintainers), "import: the MAINTAINERS of the same source (default the first FILE.csv's FILE.csv.MAINTAINERS, which build-table writes)")(
        "all", po::bool_switch(&all), "coverage: list every function the two methods place differently, not the first ten")(
        "action", po::value(&action)->required(), "")("operands", po::value(&operands)->composing(), "");
    po::positional_options_description pos;
    pos.add("action", 1).add("operands", -1);
    po::variables_map vm;
    if (!parse_options("sources",
                       "import FILE.csv... --maintainers MAINTAINERS --kernel R  |  locate NAME... --kernel R  |  coverage --kernel R [--all]",
                       desc, args, vm, &pos))
        return 0;
    if (action == "import") {
        // Several tables make one map: an exact one (debug symbols) beside a
        // by-name one (source), whose rows answer where the exact ones have
        // no line (assembly) or the debug package is not at hand.
        if (operands.empty()) throw UserError("sources import takes a FILE.csv (or an exact and a by-name one)", "", kExitUsage);
        if (maintainers.empty()) maintainers = operands.front() + ".MAINTAINERS";
        StoredSourceMap map;
        for (const auto& file : operands) {
            std::ifstream in(file);
            if (!in) throw UserError("cannot read " + file);
            std::string description;
            auto rows = parse_source_csv(in, file, &description);
            if (!rows) throw UserError(rows.error().describe(), "scripts/sources/build-table or build-exact-table makes the file");
            // An exact row's function is hap's name of its symbol; a table
            // whose script normalised otherwise would never be found.
            for (const auto& r : *rows)
                if (r.how == "exact" && normalize_function(r.symbol) != r.function)
                    throw UserError(fmt::format("{}: {} is named '{}', hap names it '{}'", file, r.symbol, r.function, normalize_function(r.symbol)),
                                    "rebuild the table with this hap's scripts/sources/build-exact-table");
            map.rows.insert(map.rows.end(), rows->begin(), rows->end());
            map.origin += (map.origin.empty() ? "" : " + ") + file;
            if (!description.empty()) map.description += (map.description.empty() ? "" : " + ") + description;
        }
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
        const auto exact = std::count_if(map.rows.begin(), map.rows.end(), [](const SourceRow& r) { return r.how == "exact"; });
        std::cout << fmt::format("imported {} definitions ({} exact, {} by name) and {} MAINTAINERS sections for kernel {} into {}\n  source: {}\n",
                                 map.rows.size(), exact, map.rows.size() - static_cast<size_t>(exact), parsed.size(), kernel, db,
                                 map.description.empty() ? "(not said)" : map.description);
        return 0;
    }
    if (action == "locate") {
        if (operands.empty()) throw UserError("sources locate needs a function name", "", kExitUsage);
        auto store = open_existing_store(db);
        const SourceMap map = require_map(*store, kernel, db);
        TextTable t({"name", "status", "method", "file", "section", "directory"});
        for (const auto& n : operands) {
            // "sys:read" asks for a syscall, as `diff` groups them.
            const bool sys = n.rfind("sys:", 0) == 0;
            // A raw name (foo@vmlinux:2, foo.isra.0) is one symbol of an exact map.
            auto loc = !sys && (n.find('@') != std::string::npos || normalize_function(n) != n)
                           ? map.locate_raw(normalize_function(n), {n})
                           : map.locate(sys ? "syscall" : "function", sys ? n.substr(4) : n);
            t.add({n, status_name(loc.status), method_name(loc.method), loc.files.empty() ? "-" : loc.file(), loc.section, loc.directory});
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
        // Each function with the raw names runs reached it by (hap_fn_raw:
        // foo, foo.isra.0, foo@vmlinux:2), which pick one symbol of an
        // exact map; runs stored before hap_fn_raw give none.
        std::map<std::string, std::vector<std::string>> functions;
        std::set<std::string> syscalls;
        for (const auto& r : *runs) {
            if (auto it = r.names.find("hap_fn"); it != r.names.end())
                for (const auto& n : it->second) functions[n];
            if (auto it = r.names.find("hap_fn_raw"); it != r.names.end())
                for (const auto& raw : it->second) {
                    auto& v = functions[normalize_function(raw)];
                    if (std::find(v.begin(), v.end(), raw) == v.end()) v.push_back(raw);
                }
            if (auto it = r.names.find("hap_sys"); it != r.names.end()) syscalls.insert(it->second.begin(), it->second.end());
        }
        if (functions.empty() && syscalls.empty())
            throw UserError("no complete runs on kernel " + kernel + " in " + db, "coverage is of the functions stored runs reached");
        TextTable t({"names", "total", "mapped", "ambiguous", "unmapped", "mapped %", "with a section %"});
        std::vector<std::string> unmapped;
        struct Count {
            size_t n[3] = {0, 0, 0}, sectioned = 0;
            void add(const SourceLocation& loc) {
                ++n[static_cast<int>(loc.status)];
                if (loc.section != kUnmapped && loc.section != kAmbiguous) ++sectioned;
            }
        };
        auto add_row = [&](const std::string& label, const Count& c, size_t total) {
            t.add({label, std::to_string(total), std::to_string(c.n[0]), std::to_string(c.n[1]), std::to_string(c.n[2]),
                   fmt::format("{:.1f}", 100.0 * c.n[0] / total), fmt::format("{:.1f}", 100.0 * c.sectioned / total)});
        };
        // With both kinds of rows, each method alone too, and where they part.
        const bool both = map.has_exact() && map.has_by_name();
        Count fn_best, fn_exact, fn_name;
        std::vector<std::string> disagree;
        size_t resolved = 0;  // ambiguous by name, one file exactly
        for (const auto& [name, raws] : functions) {
            const auto loc = map.locate_raw(name, raws);
            fn_best.add(loc);
            if (loc.status == SourceLocation::Status::Unmapped) unmapped.push_back(name);
            if (!both) continue;
            const auto exact = map.locate_raw(name, raws, LocateBy::Exact);
            const auto by_name = map.locate("function", name, LocateBy::Name);
            fn_exact.add(exact);
            fn_name.add(by_name);
            if (exact.status != SourceLocation::Status::Mapped) continue;
            if (by_name.status == SourceLocation::Status::Mapped && by_name.files != exact.files)
                disagree.push_back(fmt::format("{}: exact {}, by name {}", name, exact.file(), by_name.file()));
            if (by_name.status == SourceLocation::Status::Ambiguous) ++resolved;
        }
        if (!functions.empty()) {
            add_row("functions (hap_fn)", fn_best, functions.size());
            if (both) {
                add_row("  exact alone", fn_exact, functions.size());
                add_row("  by name alone", fn_name, functions.size());
            }
        }
        if (!syscalls.empty()) {
            Count c;
            for (const auto& name : syscalls) {
                const auto loc = map.locate("syscall", name);
                c.add(loc);
                if (loc.status == SourceLocation::Status::Unmapped) unmapped.push_back("sys:" + name);
            }
            add_row("syscalls (hap_sys)", c, syscalls.size());
        }
        t.print(std::cout);
        std::cout << fmt::format("over the union of {} complete runs on {}; source: {}\n", runs->size(), kernel, map.description());
        if (both) {
            std::cout << fmt::format("exact and by name each give one file, and not the same one, for {} functions; "
                                     "{} ambiguous by name have one file exactly\n",
                                     disagree.size(), resolved);
            const size_t shown = all ? disagree.size() : std::min<size_t>(disagree.size(), 10);
            for (size_t i = 0; i < shown; ++i) std::cout << "  " << disagree[i] << "\n";
            if (shown < disagree.size()) std::cout << fmt::format("  ({} more: --all lists them)\n", disagree.size() - shown);
        }
        std::string list;
        for (const auto& u : unmapped) list += " " + u;
        if (!unmapped.empty()) std::cout << "unmapped (" << unmapped.size() << "):" << list << "\n";
        return 0;
    }
    throw UserError("unknown action '" + action + "'", "use `hapctl sources import`, `locate` or `coverage`", kExitUsage);
}

}  // namespace hap::cli
