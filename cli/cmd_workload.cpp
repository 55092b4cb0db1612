// hapctl workload list|check|show: the workload files (runners/workload_spec.h)
// without running them. `check` validates files the way measure reads them,
// so a bad file is found before anything starts.
#include <iostream>

#include <fmt/format.h>

#include "command.h"
#include "files.h"
#include "options.h"
#include "root_source.h"
#include "workload.h"

namespace hap::cli {
namespace {

std::string probe_name(const ReadyProbe& p) {
    switch (p.kind) {
        case ReadyProbe::Kind::kTcp: return "tcp";
        case ReadyProbe::Kind::kHttp: return fmt::format("http GET {} -> {}", p.http_path, p.http_status);
        case ReadyProbe::Kind::kCommand: return "command " + p.command[0];
        case ReadyProbe::Kind::kRedisPing: return "redis-ping";
    }
    return "?";
}

std::string load_name(const LoadSpec& l) {
    switch (l.kind) {
        case LoadSpec::Kind::kRedisBenchmark: return "driver redis-benchmark";
        case LoadSpec::Kind::kWrk: return "driver wrk GET " + l.http_path;
        case LoadSpec::Kind::kCommand: return fmt::format("command {} (concurrency {}, {})", l.command[0], l.concurrency, l.unit);
    }
    return "?";
}

}  // namespace

int cmd_workload(const std::vector<std::string>& args) {
    std::string action;
    std::vector<std::string> targets;
    bool packages = false;
    po::options_description desc("options");
    desc.add_options()("packages", po::bool_switch(&packages), "show: only the root's Debian packages, on one line")(
        "action", po::value(&action)->required(), "")("target", po::value(&targets)->multitoken(), "");
    po::positional_options_description pos;
    pos.add("action", 1).add("target", -1);
    po::variables_map vm;
    if (!parse_options("workload", "list | check FILE... | show NAME|FILE [--packages]\n\n"
                                   "Workload files: the format is in runners/workloads/README.md; the built-ins\n"
                                   "are such files (see them with `hapctl workload show redis`).",
                       desc, args, vm, &pos))
        return 0;
    if (action == "list") {
        if (!targets.empty()) throw UserError("workload list takes no argument", "", kExitUsage);
        for (const auto& name : known_workloads()) {
            auto w = make_workload(name);
            std::cout << fmt::format("{:<8} {}\n", name, w->spec().description);
        }
        return 0;
    }
    if (action == "check") {
        if (targets.empty()) throw UserError("workload check needs a FILE", "hapctl workload check FILE.toml", kExitUsage);
        for (const auto& t : targets) {
            // A file, whatever its name: check is for files, never built-ins.
            auto w = Workload(load_workload_file(t));
            const auto& s = w.spec();
            // The root must exist, and an image must be for this host, now:
            // check is the promise that measure will not refuse the file.
            const RootSourceFacts facts = inspect_root_source(s);
            std::string root = s.root.kind == RootSpec::Kind::kDebianPackages
                                   ? "debian-packages [" + join(s.root.debian_packages, " ") + "]"
                                   : s.root.field.substr(5) + " " + s.root.source;
            if (!facts.architecture.empty()) root += " (" + facts.os + "/" + facts.architecture + ", sha256:" + facts.key.substr(0, 12) + ")";
            std::cout << fmt::format("{}: ok: workload {}, root {}, port {}, ready {}, {} setup step(s), load {}\n", t, s.name, root,
                                     s.port, probe_name(s.ready), s.setup.size(), load_name(s.load));
        }
        return 0;
    }
    if (action == "show") {
        if (targets.size() != 1) throw UserError("workload show needs one NAME or FILE", "hapctl workload show redis", kExitUsage);
        auto w = make_workload(targets[0]);
        if (packages) {
            if (w->spec().root.kind != RootSpec::Kind::kDebianPackages)
                throw UserError("the " + w->name() + " workload's root is " + w->spec().root.field + ", not Debian packages",
                                "--packages is for roots hap builds (root.debian-packages)", kExitUsage);
            std::cout << join(w->root_packages(), " ") << "\n";
        } else {
            std::cout << "# " << w->spec().origin << "\n" << w->spec().redacted_text();
            if (!w->spec().text.empty() && w->spec().text.back() != '\n') std::cout << "\n";
        }
        return 0;
    }
    throw UserError("unknown action '" + action + "'", "use `hapctl workload list`, `check FILE...` or `show NAME|FILE`", kExitUsage);
}

}  // namespace hap::cli
