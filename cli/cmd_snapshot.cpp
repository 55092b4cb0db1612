// hapctl snapshot: record a real process tree (processes, threads, parents,
// argv, exe, cgroups, owners of vhost-N / kvm-pit/N kernel threads, kernel
// release, cgroup version) as JSON. Users run it on a Kata or Nabla host to
// contribute fixtures for discovery; the format is in runners/process_snapshot.h
// and tests/fixtures/README.md.
#include <iostream>

#include "command.h"
#include "files.h"
#include "options.h"
#include "process_snapshot.h"

namespace hap::cli {

int cmd_snapshot(const std::vector<std::string>& args) {
    std::vector<int> pids;
    std::string match, out;
    po::options_description desc("options");
    desc.add_options()("pid", po::value(&pids)->multitoken()->composing(), "record this process and its descendants (repeatable)")(
        "match", po::value(&match), "record processes whose comm or argv matches this extended regex, and their descendants")(
        "out", po::value(&out), "write the JSON here (default: stdout)");
    po::variables_map vm;
    if (!parse_options("snapshot", "[--pid PID ...] [--match REGEX] [--out FILE.json]", desc, args, vm)) return 0;
    std::vector<pid_t> p(pids.begin(), pids.end());
    auto snap = take_process_snapshot(p, match);
    const std::string text = snapshot_to_json(snap).dump(1) + "\n";
    if (out.empty()) {
        std::cout << text;
        return 0;
    }
    if (auto st = write_file(out, text); !st) throw UserError("cannot write " + out + ": " + st.error().describe());
    size_t threads = 0;
    for (const auto& pr : snap.processes) threads += pr.threads.size();
    std::cerr << "hapctl snapshot: " << snap.processes.size() << " processes, " << threads << " threads -> " << out << "\n";
    return 0;
}

}  // namespace hap::cli
