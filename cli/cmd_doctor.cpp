// hapctl doctor: what this host can measure, and plainly why not.
#include <fcntl.h>
#include <unistd.h>

#include <iostream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "capture_mode.h"
#include "command.h"
#include "files.h"
#include "host_facts.h"
#include "kvm_guests.h"
#include "nabla_runner.h"
#include "vm_guest.h"
#include "vm_runner.h"
#include "oci_runner.h"
#include "oci_spec.h"
#include "runsc_info.h"
#include "options.h"
#include "process.h"
#include "text_table.h"
#include "tracefs_dir.h"

namespace hap::cli {
namespace {

struct Check {
    std::string area, item, status, detail;  // status: ok, no, missing, warn
};

std::string first_line(const std::string& s) {
    std::string t = trim(s);
    return t.substr(0, t.find('\n'));
}

// Never hangs: kvm_guests_usable() does not try a PVM-based KVM and kills a
// test guest that does not halt.
Check probe_kvm() {
    if (::access("/dev/kvm", F_OK) != 0)
        return {"kvm", "/dev/kvm", "missing", "no /dev/kvm: no Kata, no gVisor kvm platform; use the lab"};
    KvmVerdict v = kvm_guests_usable();
    return {"kvm", "/dev/kvm", v.usable ? "ok" : "no",
            v.usable ? v.why : v.why + "; VM-based runtimes are measured in the QEMU lab (hapctl lab)"};
}

std::string version_of(const Argv& argv) {
    auto r = run_command(argv);
    return r && r->succeeded() ? first_line(r->out) : "";
}

// Nabla: what a runnc install provides, per platform, and the workloads it
// can serve. Its parts are found where runnc's installer puts them.
std::vector<Check> nabla_checks() {
    const NablaInstall n = find_nabla_install();
    std::vector<Check> out;
    auto line = [&](const std::string& item, std::vector<std::string> missing, const std::string& ok) {
        std::string what;
        for (const auto& m : missing) what += (what.empty() ? "" : ", ") + m;
        out.push_back({"runtime", item, missing.empty() ? "ok" : "missing",
                       missing.empty() ? ok
                                       : "needs " + what + " (looked in " + kNablaInstallDirs +
                                             "); Nabla is not packaged for Debian: README.md, 'Nabla', says how to bring it in"});
    };
    std::vector<std::string> runnc, spt, hvt;
    if (n.runnc.empty()) runnc.push_back("runnc");
    if (!path_exists(kRunncTender)) runnc.push_back(std::string(kRunncTender) + " (the tender runnc runs)");
    if (n.tender_spt.empty()) spt.push_back("the spt tender (nabla-run or solo5-spt)");
    if (n.tender_hvt.empty()) hvt.push_back("the hvt tender (solo5-hvt)");
    for (auto* v : {&runnc, &spt, &hvt})
        if (n.genisoimage.empty()) v->push_back("genisoimage (apt-get install genisoimage)");
    line("nabla --platform runnc (and docker:runnc)", runnc, n.runnc);
    line("nabla --platform spt", spt, n.tender_spt + " (a plain process: no KVM needed)");
    const KvmVerdict kvm = kvm_guests_usable();
    if (hvt.empty() && !kvm.usable)
        out.push_back({"runtime", "nabla --platform hvt", "no", n.tender_hvt + " found, but KVM guests do not run here: " + kvm.why});
    else line("nabla --platform hvt", hvt, n.tender_hvt);
    out.push_back({"workload", "nabla images", "warn",
                   "redis is the one Nabla workload hap has run (give its image with --nabla-image); Nabla's node 4 "
                   "and Python 3.5 unikernels were not built (README.md, 'Nabla'), and hap never runs another "
                   "program in their place"});
    return out;
}

// `--runtime vm`: the KVM probe decides; then QEMU, a guest kernel, and how
// q35 would share the root.
Check probe_vm_runtime() {
    Check c{"runtime", "vm (q35, microvm)", "ok", ""};
    const KvmVerdict kvm = kvm_guests_usable();
    if (!kvm.usable) return {c.area, c.item, "no", "KVM guests do not run here: " + kvm.why + "; measure it in the lab"};
    if (!find_program("qemu-system-x86_64")) return {c.area, c.item, "missing", "apt-get install qemu-system-x86 (or scripts/setup)"};
    c.detail = version_of({"qemu-system-x86_64", "--version"});
    try {
        c.detail += "; guest kernel " + find_guest_kernel("").release;
    } catch (const UserError& e) {
        return {c.area, c.item, "missing", c.detail + "; " + e.what()};
    }
    const std::string vfs = find_virtiofsd();
    c.detail += vfs.empty() ? "; q35 root over virtio-9p (no virtiofsd)" : "; q35 root over virtio-fs (" + vfs + ")";
    return c;
}

// Starts /bin/true in the cached workload root: does the runtime really start?
Check probe_runtime_start(const std::string& rt, const std::string& bin, const std::string& rootfs,
                          const std::string& state_dir) {
    Check c{"runtime", rt, "ok", ""};
    const std::string id = "hap-" + std::to_string(::getpid()) + "-99999";
    const std::string base = oci_state_root(state_dir) + "/" + id;
    (void)make_dirs(base + "/bundle");
    (void)make_dirs(base + "/root");
    OciSpecParams p;
    p.args = {"/bin/true"};
    p.rootfs = rootfs;
    p.cgroups_path = "/hap/" + id;
    (void)write_file(base + "/bundle/config.json", make_oci_spec(p).dump());
    Argv argv = {bin, "--root", base + "/root"};
    if (rt == "runsc") {
        // The binary's own default platform: what a user of this runsc gets.
        argv.push_back("--network=none");
    }
    for (const char* a : {"run", "--bundle"}) argv.push_back(a);
    argv.push_back(base + "/bundle");
    argv.push_back(id);
    RunOptions o;
    o.timeout = std::chrono::seconds(60);
    auto r = run_command(argv, o);
    (void)run_command({bin, "--root", base + "/root", "delete", "--force", id});
    (void)run_command({"rm", "-rf", "--one-file-system", base});
    if (!r || !r->succeeded()) {
        c.status = "no";
        c.detail = "installed but a container did not start: " + (r ? r->summary() : r.error().describe());
    } else {
        c.detail = "started a container (/bin/true, exit 0)";
    }
    return c;
}

// One line per platform the runsc binary names (`runsc help platforms`):
// runs, or why not. kvm is probed only where the KVM checks pass (on a KVM
// that cannot run guests gVisor spins instead of failing); the others by
// `runsc do /bin/true`, unless `start` is false (no root, --no-start).
std::vector<Check> probe_runsc_platforms(const std::string& bin, const std::string& state_dir, bool start) {
    RunscInfo info;
    try {
        info = read_runsc_info(bin);
    } catch (const UserError& e) {
        return {{"runtime", "runsc platforms", "no", e.what()}};
    }
    std::vector<Check> out;
    for (const auto& p : info.platforms) {
        Check c{"runtime", "runsc --platform=" + p, "ok", p == info.default_platform ? "the binary's default; " : ""};
        if (p == "kvm") {
            const KvmVerdict kvm = kvm_guests_usable();
            const KvmVerdict gk = kvm.usable ? gvisor_kvm_usable() : KvmVerdict{};
            if (!kvm.usable || !gk.usable) {
                c.status = "no";
                c.detail += "cannot run here: " + (kvm.usable ? gk.why : "KVM guests do not run: " + kvm.why);
                out.push_back(c);
                continue;
            }
        }
        if (!start) {
            c.detail += "not tried (needs root; --no-start)";
        } else if (RunscPlatformProbe pr = probe_runsc_platform(bin, p, state_dir, std::chrono::seconds(15)); pr.runs) {
            c.detail += "runs here (runsc do /bin/true, exit 0)";
        } else {
            c.status = "no";
            c.detail += "cannot run here: " + pr.why;
        }
        out.push_back(c);
    }
    return out;
}

}  // namespace

int cmd_doctor(const std::vector<std::string>& args) {
    std::string format, state_dir = "/run/hap", cache_dir = "/var/cache/hap";
    bool no_start = false;
    po::options_description desc("options");
    desc.add_options()("format,f", po::value(&format)->default_value("table"), "table or json")(
        "no-start", po::bool_switch(&no_start), "do not try to start a container with each runtime");
    po::variables_map vm;
    if (!parse_options("doctor", "[--format table|json]", desc, args, vm)) return 0;

    std::vector<Check> checks;
    const bool root = ::geteuid() == 0;
    checks.push_back({"host", "privileges", root ? "ok" : "no",
                      root ? "root" : "not root: tracing and runtimes need root (run with sudo)"});
    auto found = use_tracing_dir();
    const char* tdir = found ? found->c_str() : nullptr;
    bool can_measure = false;
    if (!tdir) {
        checks.push_back({"tracefs", "mount", "missing", found.error().message + ": " + kTracefsMountHint});
    } else {
        checks.push_back({"tracefs", "mount", "ok", tdir});
        KernelFacts k = read_kernel_facts(tdir);
        checks.push_back({"kernel", "release", "ok", k.release + " " + k.arch});
        checks.push_back({"kernel", "traceable functions",
                          k.traceable_functions ? "ok" : "no",
                          k.traceable_functions ? std::to_string(*k.traceable_functions)
                                                : "available_filter_functions is unreadable (function tracing locked down)"});
        if (root) {
            for (const auto& m : probe_modes(tdir)) {
                checks.push_back({"capture", std::string("--mode ") + mode_name(m.mode), m.available ? "ok" : "no",
                                  m.available ? (m.reason.empty() ? "available" : m.reason) : m.reason});
                can_measure = can_measure || m.available;
            }
        } else {
            checks.push_back({"capture", "modes", "no", "not probed: needs root"});
        }
    }
    checks.push_back(probe_kvm());

    const std::string rootfs = cache_dir + "/images/redis/rootfs";
    const bool have_image = path_exists(rootfs + "/bin/true");
    for (const char* rt : {"runc", "crun", "runsc"}) {
        auto bin = find_program(rt);
        if (!bin) {
            checks.push_back({"runtime", rt, "missing", std::string("not installed: apt-get install ") + rt});
            continue;
        }
        std::string ver = version_of({*bin, "--version"});
        if (no_start || !root || !have_image) {
            checks.push_back({"runtime", rt, "ok",
                              ver + (have_image ? "" : "; start not tried (no image yet: run hapctl measure once)")});
            continue;
        }
        Check c = probe_runtime_start(rt, *bin, rootfs, state_dir);
        c.detail = ver + "; " + c.detail;
        checks.push_back(c);
    }
    if (auto runsc = find_program("runsc")) {
        for (const auto& c : probe_runsc_platforms(*runsc, state_dir, root && !no_start)) checks.push_back(c);
    }

    checks.push_back(probe_vm_runtime());

    // Engine: the user's, or a private one hap starts.
    std::string engine = version_of({"docker", "version", "--format", "{{.Server.Version}}"});
    if (!engine.empty()) checks.push_back({"engine", "docker", "ok", "engine " + engine + " reachable"});
    else if (find_program("dockerd"))
        checks.push_back({"engine", "docker", "ok", "no engine running; --runtime docker starts a private dockerd"});
    else checks.push_back({"engine", "docker", "missing", "dockerd not installed: apt-get install docker.io"});

    for (const auto& [name, why] : std::vector<std::pair<std::string, std::string>>{
             {"kata-runtime", "Kata Containers is not packaged for Debian 12; install it from the Kata releases"}}) {
        auto bin = find_program(name);
        checks.push_back({"runtime", name, bin ? "ok" : "missing", bin ? *bin : why});
    }
    for (const auto& c : nabla_checks()) checks.push_back(c);
    for (const char* tool : {"redis-benchmark", "redis-cli", "wrk", "ip", "debootstrap"})
        checks.push_back({"tools", tool, find_program(tool) ? "ok" : "missing",
                          find_program(tool) ? "" : "run scripts/setup"});
    // A workload file's root.image: skopeo reads the image, umoci unpacks it.
    for (const char* tool : {"skopeo", "umoci"})
        checks.push_back({"tools", tool, find_program(tool) ? "ok" : "missing",
                          find_program(tool) ? "workload files' root.image" : "root.image cannot be unpacked: run scripts/setup"});
    checks.push_back(find_program("qemu-system-x86_64")
                         ? Check{"lab", "qemu-system-x86_64", "ok", "hapctl lab runs function-level captures in a VM"}
                         : Check{"lab", "qemu-system-x86_64", "missing", "apt-get install qemu-system-x86 (or run scripts/setup)"});

    // Workloads: the load generator every runtime needs, and what the native
    // baseline runs from the host (containers bring theirs in their image).
    struct WorkloadNeeds {
        const char* name;
        const char* load;
        std::vector<std::pair<std::string, std::string>> host;  // path, Debian package
    };
    for (const auto& w : std::vector<WorkloadNeeds>{
             {"redis", "redis-benchmark", {{"/usr/bin/redis-server", "redis-server"}}},
             {"python", "wrk", {{"/usr/bin/python3", "python3"}, {"/usr/lib/python3/dist-packages/tornado", "python3-tornado"}}},
             {"node", "wrk", {{"/usr/bin/node", "nodejs"}, {"/usr/share/nodejs/express", "node-express"}}},
             {"nginx", "wrk", {{"/usr/sbin/nginx", "nginx"}}}}) {
        std::string missing;
        for (const auto& [path, pkg] : w.host)
            if (!path_exists(path)) missing += (missing.empty() ? "" : " ") + pkg;
        if (!find_program(w.load))
            checks.push_back({"workload", w.name, "missing", std::string(w.load) + " (its load generator) is not installed: run scripts/setup"});
        else
            checks.push_back({"workload", w.name, "ok",
                              std::string("load: ") + w.load + "; native baseline: " +
                                  (missing.empty() ? "ready" : "needs apt-get install " + missing)});
    }

    // The documented matrix, one line per runtime: can each workload run
    // under it now, and if not, which part is missing (the lines above say
    // how to get it).
    auto status_of = [&](const std::string& area, const std::string& item) {
        for (const auto& c : checks)
            if (c.area == area && c.item == item) return c.status;
        return std::string("missing");
    };
    std::string runsc_default;
    for (const auto& c : checks)
        if (c.item.rfind("runsc --platform=", 0) == 0 && c.detail.rfind("the binary's default", 0) == 0)
            runsc_default = c.item;
    const std::vector<std::string> workloads = {"redis", "python", "node", "nginx"};
    for (const std::string rt : {"runc", "runsc", "docker", "docker:runsc", "native"}) {
        std::vector<std::string> needs;  // what the runtime itself lacks
        if (rt == "runc" || rt == "docker") {
            if (status_of("runtime", "runc") != "ok") needs.push_back("runc (see its line)");
        }
        if (rt == "runsc" || rt == "docker:runsc") {
            if (status_of("runtime", "runsc") != "ok") needs.push_back("runsc (see its line)");
            else if (!runsc_default.empty() && status_of("runtime", runsc_default) != "ok")
                needs.push_back(runsc_default + " (see its line)");
        }
        if (rt.rfind("docker", 0) == 0 && status_of("engine", "docker") != "ok") needs.push_back("a Docker engine (dockerd)");
        std::vector<std::string> lacking;
        for (const auto& w : workloads) {
            std::string why;
            for (const auto& c : checks)
                if (c.area == "workload" && c.item == w) {
                    if (c.status != "ok") why = "its load generator";
                    else if (rt == "native" && c.detail.find("needs apt-get install") != std::string::npos)
                        why = c.detail.substr(c.detail.find("needs apt-get install"));
                }
            if (rt != "native" && !find_program("debootstrap") && !path_exists(cache_dir + "/images/" + w + "/rootfs/bin/true"))
                why += (why.empty() ? "" : ", ") + std::string("its image (built by debootstrap, not installed)");
            if (!why.empty()) lacking.push_back(w + ": " + why);
        }
        if (!can_measure) needs.insert(needs.begin(), "a capture mode that works here (see the capture lines)");
        std::string detail;
        for (const auto& n : needs) detail += (detail.empty() ? "needs " : ", ") + n;
        for (const auto& l : lacking) detail += (detail.empty() ? "" : "; ") + l;
        const bool ready = needs.empty() && lacking.empty();
        checks.push_back({"cell", rt + " x redis, python, node, nginx", ready ? "ok" : "no",
                          ready ? "every workload can be measured (--mode syscalls)" : detail});
    }

    if (format == "json") {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& c : checks)
            arr.push_back({{"area", c.area}, {"item", c.item}, {"status", c.status}, {"detail", c.detail}});
        std::cout << nlohmann::json{{"can_measure", can_measure}, {"checks", arr}}.dump(2) << "\n";
    } else if (format == "table") {
        TextTable t({"area", "check", "status", "detail"});
        for (const auto& c : checks) t.add({c.area, c.item, c.status, c.detail});
        t.print(std::cout);
        std::cout << (can_measure ? "\nthis host can measure with the modes marked ok above\n"
                                  : "\nthis host cannot measure: see the lines marked no/missing\n");
    } else {
        throw UserError("unknown format '" + format + "'", "use --format table or --format json", kExitUsage);
    }
    return can_measure ? 0 : 1;
}

}  // namespace hap::cli
