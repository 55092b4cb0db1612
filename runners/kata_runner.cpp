#include "kata_runner.h"

#include <atomic>

#include "files.h"
#include "process.h"
#include "process_snapshot.h"
#include "vm_discovery.h"

namespace hap {
namespace {
std::atomic<int> g_seq{200};  // apart from the OCI and Docker runners' sequences

std::string first_existing(const std::vector<std::string>& paths) {
    for (const auto& p : paths)
        if (path_exists(p)) return p;
    return "";
}

const char* kInstallHint =
    "Kata Containers is not packaged for Debian: install a release (kata-static-<version>-amd64.tar.xz from "
    "github.com/kata-containers/kata-containers/releases, unpacked to /opt/kata) or kata-deploy, link "
    "/opt/kata/bin/containerd-shim-kata-v2 into PATH, and run containerd; `hapctl doctor` checks it. "
    "It also needs a /dev/kvm that runs guests (not this host's)";
}  // namespace

KataInstall find_kata_install(const std::string& platform) {
    KataInstall k;
    if (auto p = find_program("containerd-shim-kata-v2")) k.shim = *p;
    else k.shim = first_existing({"/opt/kata/bin/containerd-shim-kata-v2", "/usr/local/bin/containerd-shim-kata-v2"});
    const std::string leaf = platform == "firecracker" ? "configuration-fc.toml" : "configuration-qemu.toml";
    k.config = first_existing({"/etc/kata-containers/" + leaf, "/opt/kata/share/defaults/kata-containers/" + leaf,
                               "/usr/share/defaults/kata-containers/" + leaf});
    if (k.config.empty() && platform == "qemu")
        k.config = first_existing({"/etc/kata-containers/configuration.toml",
                                   "/opt/kata/share/defaults/kata-containers/configuration.toml"});
    if (auto c = find_program("ctr")) k.ctr = *c;
    k.containerd = first_existing({"/run/containerd/containerd.sock"});
    return k;
}

std::vector<SandboxTask> sandbox_view_tasks(const SandboxView& v) {
    std::vector<SandboxTask> out;
    // Processes first (all their threads), then single threads with a
    // different role, so a later, narrower entry refines an earlier one.
    for (const auto& t : v.tasks)
        if (t.tid == t.tgid) out.push_back(SandboxTask{t.tid, t.role, t.comm});
    for (const auto& t : v.tasks)
        if (t.tid != t.tgid) out.push_back(SandboxTask{t.tid, t.role, t.comm});
    return out;
}

KataRunner::KataRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload), platform_(opts.platform.empty() ? "qemu" : opts.platform) {
    if (platform_ == "fc") platform_ = "firecracker";
    if (platform_ != "qemu" && platform_ != "firecracker")
        throw UserError("Kata platform '" + platform_ + "' is not one hap knows", "use --platform qemu or --platform firecracker",
                        kExitUsage);
}

Argv KataRunner::ctr(Argv args) const {
    Argv argv = {install_.ctr, "--address", install_.containerd, "--namespace", "hap"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void KataRunner::prepare() {
    install_ = find_kata_install(platform_);
    std::vector<std::string> missing;
    if (install_.shim.empty()) missing.push_back("containerd-shim-kata-v2 (not in PATH, /opt/kata/bin or /usr/local/bin)");
    if (install_.config.empty())
        missing.push_back("Kata's " + std::string(platform_ == "firecracker" ? "configuration-fc.toml" : "configuration-qemu.toml") +
                          " (not in /etc/kata-containers, /opt/kata/share/defaults/kata-containers or /usr/share/defaults/kata-containers)");
    if (install_.ctr.empty()) missing.push_back("ctr (Debian package containerd)");
    if (install_.containerd.empty()) missing.push_back("a running containerd (no /run/containerd/containerd.sock)");
    if (!missing.empty()) {
        std::string what;
        for (const auto& m : missing) what += (what.empty() ? "" : "; ") + m;
        throw UserError("Kata Containers (" + platform_ + ") cannot run here: missing " + what, kInstallHint);
    }
    if (platform_ == "firecracker") {
        const char* img = std::getenv("HAP_KATA_IMAGE");
        if (!img || !*img)
            throw UserError("Kata with Firecracker needs the workload image in containerd's devmapper snapshotter",
                            "import it (ctr -n hap images import --snapshotter devmapper IMAGE.tar) and set HAP_KATA_IMAGE=REF");
        image_ref_ = img;
        return;
    }
    rootfs_ = ensure_rootfs(workload_, opts_.cache_dir);
    image_ref_ = "rootfs:" + rootfs_.key.substr(0, 12);
}

void KataRunner::launch() {
    const int seq = g_seq++;
    id_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_with_workload_ns();
    Argv args = {"run", "--detach", "--runtime", "io.containerd.kata.v2", "--runtime-config-path", install_.config,
                 "--with-ns", "network:" + link_->workload_ns_path()};
    if (platform_ == "firecracker") {
        args.insert(args.end(), {"--snapshotter", "devmapper", image_ref_, id_});
    } else {
        args.insert(args.end(), {"--rootfs", rootfs_.rootfs, id_});
    }
    for (const auto& a : workload_.command()) args.push_back(a);
    created_ = true;
    RunOptions o;
    o.timeout = std::chrono::seconds(120);
    auto r = run_command(ctr(args), o);
    if (!r) throw UserError("cannot run ctr: " + r.error().describe());
    if (!r->succeeded()) throw UserError("Kata (" + platform_ + ") did not start the " + workload_.name() + " sandbox: " + r->summary(),
                                         "run `kata-runtime check` and see containerd's log");
}

Endpoint KataRunner::endpoint() const { return endpoint_through(link_.get(), workload_.port()); }

std::vector<SandboxTask> KataRunner::tasks() {
    // One consistent view of /proc; the shim is started with "-id <id>" and
    // the VMM named after the sandbox (QEMU -name sandbox-<id>, FC --id).
    auto snap = take_process_snapshot({}, "");
    auto vmm = vmm_of_sandbox(snap, id_);
    if (!vmm) throw UserError("no VMM found for Kata sandbox " + id_, "is the shim running? (ps -ef | grep " + id_ + ")");
    return sandbox_view_tasks(discover_sandbox(snap, *vmm));
}

void KataRunner::teardown() noexcept {
    if (created_) {
        RunOptions o;
        o.timeout = std::chrono::seconds(60);
        (void)run_command(ctr({"task", "kill", "--signal", "SIGKILL", id_}), o);
        (void)run_command(ctr({"task", "delete", "--force", id_}), o);
        (void)run_command(ctr({"container", "delete", id_}), o);
        created_ = false;
    }
    if (link_) link_->teardown();
}

}  // namespace hap
