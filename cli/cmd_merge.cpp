// hapctl merge SRC... --into DB: combine stores from many hosts. Hosts,
// kernels and symbols are matched on their natural keys, runs on their uuid,
// so merging the same source twice adds nothing.
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "files.h"
#include "options.h"
#include "store.h"

namespace hap::cli {

int cmd_merge(const std::vector<std::string>& args) {
    std::string into;
    std::vector<std::string> sources;
    po::options_description desc("options");
    desc.add_options()("into", po::value(&into)->required(), "destination database (created if missing)")(
        "sources", po::value(&sources)->composing(), "");
    po::positional_options_description pos;
    pos.add("sources", -1);
    po::variables_map vm;
    if (!parse_options("merge", "SRC.db... --into DB", desc, args, vm, &pos)) return 0;
    if (sources.empty()) throw UserError("no source databases given", "hapctl merge A.db B.db --into all.db", kExitUsage);
    for (const auto& s : sources) {
        if (!path_exists(s)) throw UserError("no database at " + s);
        // Checked before ATTACH, so the message names the source, not the destination.
        auto head = read_file(s);
        if (!head || head->compare(0, 16, std::string("SQLite format 3\0", 16)) != 0)
            throw UserError(s + " is not a hap database (not a SQLite file)", "nothing was merged", kExitFailure);
    }
    auto store = Store::open(into);
    if (!store) throw UserError(store.error().describe());
    for (const auto& s : sources) {
        auto n = (*store)->merge_from(s);
        if (!n) throw UserError(n.error().describe(), "nothing of " + s + " was merged");
        std::cout << fmt::format("{}: {} runs added ({} already present or still running), {} hosts, {} kernels, {} symbols, {} complexity tables, {} source maps\n",
                                 s, n->runs, n->runs_skipped, n->hosts, n->kernels, n->symbols, n->complexity_tables, n->source_maps);
    }
    std::cout << "merged into " << into << "\n";
    return 0;
}

}  // namespace hap::cli
