#include "kata_runner.h"

#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>

#include "binary_origin.h"
#include "files.h"
#include "process.h"
#include "process_snapshot.h"
#include "procfs.h"
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
    "Kata Containers is not packaged for Debian: install a release (kata-static-<version>-amd64.tar.zst from 3.21 "
    "on, .tar.xz before, from github.com/kata-containers/kata-containers/releases, unpacked to /, giving /opt/kata) "
    "and run containerd; `hapctl doctor` checks it. It also needs a /dev/kvm that runs guests";

// Threads of runtime-rs's built-in VMM (Dragonball) in the shim.
bool dragonball_threads(const SnapProcess& p) {
    for (const auto& t : p.threads)
        if (t.comm.rfind("db_vcpu", 0) == 0 || t.comm == "vmm_master") return true;
    return false;
}
}  // namespace

KataInstall find_kata_install(const std::string& platform) {
    KataInstall k;
    // kata-static's Go shim first: /opt/kata/runtime-rs/bin holds the Rust one.
    k.shim = first_existing({"/opt/kata/bin/containerd-shim-kata-v2"});
    if (k.shim.empty())
        if (auto p = find_program("containerd-shim-kata-v2")) k.shim = *p;
    if (k.shim.empty()) k.shim = first_existing({"/usr/local/bin/containerd-shim-kata-v2"});
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

std::string kata_shim_flavour(const std::string& shim_path) {
    // The strings sit in .rodata, anywhere in a 40-60 MB binary: scan it all.
    std::ifstream in(shim_path, std::ios::binary);
    if (!in) return "";
    static const std::string go = "containerd shim (Golang)", rust = "containerd shim (Rust)";
    std::string buf(1 << 20, '\0'), carry;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const std::string chunk = carry + buf.substr(0, static_cast<size_t>(in.gcount()));
        if (chunk.find(rust) != std::string::npos) return "rust";
        if (chunk.find(go) != std::string::npos) return "go";
        carry = chunk.size() > 64 ? chunk.substr(chunk.size() - 64) : chunk;
    }
    return "";
}

bool vmm_in_kata_shim(const ProcessSnapshot& s, const std::string& sandbox_id) {
    for (const auto& p : s.processes)
        if (!p.kernel_thread && program_name(p).rfind("containerd-shim-kata", 0) == 0 && dragonball_threads(p))
            for (const auto& a : p.cmdline)
                if (a == sandbox_id) return true;
    return false;
}

std::string ctr_tmpfs_mount(const std::string& dst) {
    return "type=tmpfs,src=tmpfs,dst=" + dst + ",options=rw:nosuid:nodev:mode=1777";
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

Argv kata_ctr(const KataInstall& k, Argv args) {
    Argv argv = {k.ctr, "--address", k.containerd, "--namespace", "hap"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void delete_kata_container(const KataInstall& k, const std::string& id) noexcept {
    RunOptions o;
    o.timeout = std::chrono::seconds(60);
    (void)run_command(kata_ctr(k, {"task", "kill", "--signal", "SIGKILL", id}), o);
    (void)run_command(kata_ctr(k, {"task", "delete", "--force", id}), o);
    (void)run_command(kata_ctr(k, {"container", "delete", id}), o);
}

Argv KataRunner::ctr(Argv args) const { return kata_ctr(install_, std::move(args)); }

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
    if (kata_shim_flavour(install_.shim) == "rust")
        throw UserError("the Kata shim " + install_.shim + " is runtime-rs (Rust), which hap does not measure: with "
                            "Dragonball its VMM runs inside the shim, so no host task is the VMM apart from the runtime",
                        "use the Go runtime's shim (kata-static: /opt/kata/bin/containerd-shim-kata-v2)");
    if (platform_ == "firecracker") {
        const char* img = std::getenv("HAP_KATA_IMAGE");
        if (!img || !*img)
            throw UserError("Kata with Firecracker needs the workload image in containerd's devmapper snapshotter",
                            "import it (ctr -n hap images import --snapshotter devmapper IMAGE.tar) and set HAP_KATA_IMAGE=REF");
        image_ref_ = img;
        return;
    }
    rootfs_ = ensure_rootfs(workload_, opts_.cache_dir);
    image_ref_ = rootfs_.reference;
}

void KataRunner::launch() {
    const int seq = g_seq++;
    id_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_with_workload_ns();
    const std::string logs = opts_.state_dir + "/kata";
    if (auto st = make_dirs(logs); !st) throw UserError(st.error().describe());
    log_ = logs + "/" + id_ + ".log";
    Argv args = {"run", "--detach", "--runtime", install_.shim, "--runtime-config-path", install_.config,
                 "--with-ns", "network:" + link_->workload_ns_path(), "--log-uri", "file://" + log_, "--read-only"};
    for (const auto& d : workload_.scratch_dirs()) args.insert(args.end(), {"--mount", ctr_tmpfs_mount(d)});
    args.insert(args.end(), {"--mount", ctr_tmpfs_mount("/run")});
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
    if (!vmm) {
        if (vmm_in_kata_shim(snap, id_))
            throw UserError("Kata sandbox " + id_ + " runs its VMM inside the shim (runtime-rs with Dragonball): "
                            "hap cannot tell the VMM's work from the runtime's",
                            "use the Go runtime's shim with QEMU or Firecracker");
        throw UserError("no VMM found for Kata sandbox " + id_, "is the shim running? (ps -ef | grep " + id_ + ")");
    }
    vmm_pid_ = *vmm;
    return sandbox_view_tasks(discover_sandbox(snap, *vmm));
}

void KataRunner::teardown() noexcept {
    if (created_) {
        delete_kata_container(install_, id_);
        created_ = false;
        if (!log_.empty()) ::unlink(log_.c_str());
    }
    // Firecracker under the jailer is reparented to init and, before Kata
    // 3.31, outlives the delete: stop the VMM hap found, if it still runs
    // this sandbox (its argv names the id; the pid was not reused).
    if (vmm_pid_ > 0 && process_alive(vmm_pid_) && task_cmdline(vmm_pid_).find(id_) != std::string::npos)
        ::kill(vmm_pid_, SIGKILL);
    vmm_pid_ = 0;
    if (link_) link_->teardown();
}

}  // namespace hap

namespace hap {

std::vector<std::string> kata_hypervisor_files(const std::string& config_text) {
    std::map<std::string, std::string> found;
    bool in_hypervisor = false;
    for (const auto& raw : split(config_text, '\n')) {
        const std::string line = trim(raw);
        if (!line.empty() && line[0] == '[') {
            in_hypervisor = line.rfind("[hypervisor.", 0) == 0;
            continue;
        }
        if (!in_hypervisor) continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = trim(line.substr(0, eq));
        std::string value = trim(line.substr(eq + 1));
        if (value.size() < 2 || value.front() != '"') continue;
        value = value.substr(1, value.find('"', 1) - 1);
        if (!value.empty() && !found.count(key)) found[key] = value;
    }
    std::vector<std::string> out;
    for (const char* key : {"path", "kernel", "initrd", "image"})
        if (found.count(key)) out.push_back(found[key]);
    return out;
}

nlohmann::json KataRunner::settings() const {
    nlohmann::json bins = nlohmann::json::array();
    if (!install_.shim.empty()) bins.push_back(binary_origin(install_.shim));
    if (auto text = read_file(install_.config); text)
        for (const auto& f : kata_hypervisor_files(*text)) bins.push_back(binary_origin(f));
    return {{"configuration", install_.config}, {"binaries", bins}};
}

}  // namespace hap
