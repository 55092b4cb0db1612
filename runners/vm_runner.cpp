#include "vm_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "files.h"
#include "kata_runner.h"
#include "kvm_guests.h"
#include "process_snapshot.h"
#include "vm_discovery.h"
#include "workload.h"

namespace hap {
namespace {

std::atomic<int> g_seq{400};  // apart from the OCI (0), Kata (200) runners' namespace sequences

// The tap in the sandbox namespace: the namespace is the sandbox's own, so
// one fixed name never collides.
constexpr const char* kTap = "haptap0";

}  // namespace

std::string vm_state_root(const std::string& state_dir) { return state_dir + "/vm"; }

std::string find_virtiofsd() {
    if (auto p = find_program("virtiofsd")) return *p;
    for (const char* p : {"/usr/libexec/virtiofsd", "/usr/lib/qemu/virtiofsd"})
        if (::access(p, X_OK) == 0) return p;
    return "";
}

VmRunner::VmRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload),
      shape_(make_vm_shape(opts.platform, opts.vm.shared_fs, find_virtiofsd(), opts.vm.cpus, opts.vm.mem_mb)) {
    if (shape_.root == RootSharing::VirtioFs) virtiofsd_bin_ = find_virtiofsd();
    // An expert's knob for QEMU machine properties hap does not set (e.g.
    // ",pit=off"); stored with the run.
    if (const char* e = std::getenv("HAP_VM_MACHINE_OPTS"); e && *e) machine_extra_ = std::string(",") + e;
    // The decision is the probe's: a guest must really run on this /dev/kvm.
    // (Without root /dev/kvm is not ours to probe; measure refuses that next.)
    if (::geteuid() == 0) {
        const KvmVerdict kvm = kvm_guests_usable();
        if (!kvm.usable)
            throw UserError("the vm runtime cannot run here: KVM guests do not run on this host: " + kvm.why,
                            "measure it in the QEMU lab (`hapctl lab run -- measure --runtime vm ...`), whose guest "
                            "runs nested KVM; `hapctl doctor` shows the probe");
    }
}

void VmRunner::prepare() {
    auto q = find_program("qemu-system-x86_64");
    if (!q) throw UserError("qemu-system-x86_64 is not installed", "run scripts/setup (Debian package qemu-system-x86)");
    qemu_bin_ = *q;
    if (auto v = run_command({qemu_bin_, "--version"}); v && v->succeeded()) {
        qemu_version_ = trim(v->out);
        qemu_version_ = qemu_version_.substr(0, qemu_version_.find('\n'));
    }
    kernel_ = find_guest_kernel(opts_.vm.kernel);
    initramfs_ = ensure_guest_initramfs(kernel_, opts_.cache_dir);
    rootfs_ = ensure_rootfs(workload_, opts_.cache_dir);
    if (shape_.root == RootSharing::Block) block_image_ = ensure_guest_block_image(rootfs_, opts_.cache_dir);
}

void VmRunner::start_virtiofsd() {
    const std::string sock = dir_ + "/virtiofsd.sock";
    SpawnOptions so;
    so.stdout_path = so.stderr_path = dir_ + "/virtiofsd.log";
    // cache=auto and the namespace sandbox are virtiofsd's defaults, as Kata runs it.
    auto child = spawn_process({virtiofsd_bin_, "--socket-path=" + sock, "-o", "source=" + rootfs_.rootfs, "-o", "cache=auto",
                                "-o", "sandbox=namespace"},
                               so);
    if (!child) throw UserError("cannot start virtiofsd: " + child.error().describe());
    virtiofsd_ = std::move(*child);
    for (int i = 0; i < 200 && !path_exists(sock); ++i) {
        if (!virtiofsd_.running())
            throw UserError("virtiofsd exited before it listened: " + last_line_of_file(dir_ + "/virtiofsd.log"),
                            "see " + dir_ + "/virtiofsd.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!path_exists(sock)) throw UserError("virtiofsd did not create its socket within 10 s", "see " + dir_ + "/virtiofsd.log");
}

GuestProcess VmRunner::guest_process() const {
    GuestProcess p;
    p.command = workload_.command();
    p.scratch = workload_.scratch_dirs();
    p.env = workload_.environment();
    p.workdir = workload_.spec().workdir;
    if (!workload_.spec().user.empty()) {
        std::tie(p.uid, p.gid) = resolve_user(workload_.spec().user, rootfs_.rootfs);
        // busybox's start-stop-daemon takes the uid's entry from the root's
        // /etc/passwd (its initgroups and home), and fails without one.
        auto passwd = read_file(rootfs_.rootfs + "/etc/passwd");
        bool found = false;
        for (const auto& line : split(passwd ? *passwd : "", '\n')) {
            auto f = split(line, ':');
            if (f.size() > 2 && f[2] == std::to_string(p.uid)) found = true;
        }
        if (!found)
            throw UserError("the vm runtime applies service.user through the root's /etc/passwd, and uid " +
                                std::to_string(p.uid) + " is not in it",
                            "give a user the root's /etc/passwd names");
    }
    return p;
}

void VmRunner::launch() {
    const int seq = g_seq++;
    id_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    dir_ = vm_state_root(opts_.state_dir) + "/" + id_;
    if (auto st = make_dirs(dir_); !st) throw UserError(st.error().describe());
    // A vsock context id unique on this host while this sandbox lives.
    vsock_cid_ = 3 + static_cast<unsigned>(::getpid()) * 1024u + static_cast<unsigned>(seq % 1024);

    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_with_vm_tap(kTap);
    write_guest_initrd(initramfs_, std::string(kWorkloadAddress) + "/30", guest_process(), dir_, dir_ + "/initrd");
    if (shape_.root == RootSharing::VirtioFs) start_virtiofsd();

    VmLaunchSpec spec;
    spec.qemu = qemu_bin_;
    spec.name = id_;
    spec.kernel = kernel_.vmlinuz;
    spec.initrd = dir_ + "/initrd";
    spec.append_extra = opts_.vm.append;
    spec.console_log = dir_ + "/console.log";
    spec.tap = kTap;
    spec.virtiofsd_socket = dir_ + "/virtiofsd.sock";
    spec.rootfs_dir = rootfs_.rootfs;
    spec.block_image = block_image_;
    spec.vsock_cid = vsock_cid_;
    spec.machine_extra = machine_extra_;
    // nsenter execs QEMU in the sandbox namespace (no fork): the child's pid is QEMU's.
    Argv argv = {"nsenter", "--net=" + link_->workload_ns_path(), "--"};
    for (auto& a : qemu_argv(shape_, spec)) argv.push_back(std::move(a));
    SpawnOptions so;
    so.stdout_path = so.stderr_path = dir_ + "/qemu.log";
    auto child = spawn_process(argv, so);
    if (!child) throw UserError("cannot start QEMU: " + child.error().describe());
    qemu_ = std::move(*child);
    // QEMU refuses bad devices or a busy vsock id at once: say so here.
    for (int i = 0; i < 10 && qemu_.running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (auto why = exited_why(); !why.empty()) throw UserError(why, "see " + opts_.state_dir + "/logs/" + id_ + ".qemu.log");
}

std::vector<SandboxTask> VmRunner::tasks() {
    auto snap = take_process_snapshot({}, "");
    const SandboxView view = discover_sandbox(snap, qemu_.pid());
    if (view.tasks.empty())
        throw UserError(fmt::format("QEMU (pid {}) is gone, so its tasks cannot be found", qemu_.pid()), exited_why());
    return sandbox_view_tasks(view);
}

std::string VmRunner::exited_why() {
    if (qemu_.pid() <= 0) return "";
    if (qemu_.running()) {
        // QEMU waits on a dead vhost-user peer for ever: the root's server counts too.
        if (virtiofsd_.pid() <= 0 || virtiofsd_.running()) return "";
        keep_logs();
        return "virtiofsd, which serves the guest's root, exited (" + describe_status(virtiofsd_.wait_status().value_or(-1)) +
               "): " + last_line_of_file(opts_.state_dir + "/logs/" + id_ + ".virtiofsd.log");
    }
    keep_logs();
    std::string why = "the guest stopped (QEMU " + describe_status(qemu_.wait_status().value_or(-1));
    if (auto q = last_line_of_file(opts_.state_dir + "/logs/" + id_ + ".qemu.log"); !q.empty()) why += ": " + q;
    why += ")";
    // keep_logs() above has copied the console: read that copy, once.
    auto read = read_file(opts_.state_dir + "/logs/" + id_ + ".console.log");
    const std::string console = read ? *read : "";
    // hap's guest init says why it gave up (scripts/vm/guest-init) before the
    // kernel's own reboot messages, which would otherwise be the last line.
    if (auto said = last_line_starting(console, "hap-vm: ");
        said.rfind("hap-vm: FAILED: ", 0) == 0 || said.rfind("hap-vm: workload exited", 0) == 0)
        why += "; the guest's init said '" + said.substr(8) + "'";
    if (auto c = last_line(console); !c.empty())
        why += "; guest console's last line: '" + c + "'";
    else why += "; the guest console is empty";
    return why;
}

std::string VmRunner::last_output() {
    keep_logs();
    return last_line_of_file(opts_.state_dir + "/logs/" + id_ + ".console.log");
}

void VmRunner::keep_logs() noexcept {
    // The console and QEMU's own log outlive teardown when something failed.
    if (dir_.empty()) return;
    const std::string logs = opts_.state_dir + "/logs";
    (void)make_dirs(logs);
    for (const char* f : {"console.log", "qemu.log", "virtiofsd.log"}) {
        auto text = read_file(dir_ + "/" + f);
        if (text) (void)write_file(logs + "/" + id_ + "." + f, *text);
    }
}

nlohmann::json VmRunner::settings() const {
    nlohmann::json j = shape_.settings();
    j["guest_kernel"] = kernel_.release;
    j["guest_kernel_image"] = kernel_.vmlinuz;
    j["guest_initramfs"] = initramfs_.substr(initramfs_.rfind('/') + 1);
    j["guest_append"] = opts_.vm.append;
    j["qemu"] = qemu_version_;
    j["versions"] = {{"qemu", qemu_version_}};  // the key every runner stores its programs' versions under
    if (!machine_extra_.empty()) j["machine_extra"] = machine_extra_;
    if (!virtiofsd_bin_.empty()) j["virtiofsd"] = virtiofsd_bin_;
    return j;
}

void VmRunner::teardown() noexcept {
    // QEMU ends on SIGTERM; the guest is not asked to shut down (its state is
    // thrown away). Then virtiofsd; stop() signals each one's process group,
    // so virtiofsd's sandboxed child goes with it.
    if (qemu_.pid() > 0) qemu_.stop(std::chrono::milliseconds(3000));
    if (virtiofsd_.pid() > 0) virtiofsd_.stop(std::chrono::milliseconds(2000));
    qemu_ = ChildProcess();
    virtiofsd_ = ChildProcess();
    if (link_) link_->teardown();
    link_.reset();
    if (!dir_.empty()) {
        (void)run_command({"rm", "-rf", "--one-file-system", dir_});
        dir_.clear();
    }
}

}  // namespace hap
