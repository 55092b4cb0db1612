#include "vm_discovery.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

namespace hap {
namespace {

std::string basename_of(const std::string& path) {
    auto s = path;
    if (auto d = s.find(" (deleted)"); d != std::string::npos) s = s.substr(0, d);
    auto slash = s.rfind('/');
    return slash == std::string::npos ? s : s.substr(slash + 1);
}

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

bool digits(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "16 0x11 0xae80 ..." : blocked in ioctl(fd, KVM_RUN) on x86-64.
bool blocked_in_kvm_run(const std::string& syscall) {
    return starts_with(syscall, "16 ") && syscall.find(" 0xae80") != std::string::npos &&
           syscall.find(" 0xae80") == syscall.find(' ', 3);
}

bool is_shim(const std::string& prog) {
    return starts_with(prog, "containerd-shim-kata") || prog == "kata-runtime" || prog == "runnc" || prog == "runnc-cont" ||
           starts_with(prog, "containerd-shim");
}

std::vector<std::string> argv_or_empty(const SnapProcess* p) { return p ? p->cmdline : std::vector<std::string>{}; }

// The sandbox id a VMM's argv carries: QEMU "-name sandbox-<id>[,...]",
// Firecracker / jailer "--id <id>".
std::string sandbox_id_of(const SnapProcess& vmm) {
    const auto& a = vmm.cmdline;
    for (size_t i = 0; i + 1 < a.size(); ++i) {
        if (a[i] == "-name" || a[i] == "--name") {
            std::string v = a[i + 1];
            if (auto c = v.find(','); c != std::string::npos) v = v.substr(0, c);
            if (starts_with(v, "guest=")) v = v.substr(6);
            if (starts_with(v, "sandbox-")) return v.substr(8);
        }
        if (a[i] == "--id" || a[i] == "-id") return a[i + 1];
    }
    return "";
}

bool argv_mentions(const std::vector<std::string>& argv, const std::string& needle) {
    if (needle.empty()) return false;
    for (const auto& a : argv)
        if (a.find(needle) != std::string::npos) return true;
    return false;
}

// virtiofsd's socket: "--socket-path=P", "--socket-path P" (Rust), "-o vhost_user_socket=P" (C).
std::string virtiofsd_socket(const SnapProcess& p) {
    const auto& a = p.cmdline;
    for (size_t i = 0; i < a.size(); ++i) {
        if (starts_with(a[i], "--socket-path=")) return a[i].substr(14);
        if (a[i] == "--socket-path" && i + 1 < a.size()) return a[i + 1];
        if (auto k = a[i].find("vhost_user_socket="); k != std::string::npos) {
            auto v = a[i].substr(k + 18);
            return v.substr(0, v.find(','));
        }
    }
    return "";
}

void add(SandboxView& v, const SnapProcess& p, const SnapThread& t, std::string role, std::string why) {
    for (const auto& x : v.tasks)
        if (x.tid == t.tid) return;
    v.tasks.push_back(RoleAssignment{t.tid, p.tgid ? p.tgid : p.pid, std::move(role), t.comm, std::move(why)});
}

void add_all_threads(SandboxView& v, const SnapProcess& p, const std::string& role, const std::string& why) {
    for (const auto& t : p.threads) add(v, p, t, role, why);
}

std::vector<const SnapProcess*> children_of(const ProcessSnapshot& s, pid_t pid) {
    std::vector<const SnapProcess*> out;
    for (const auto& p : s.processes)
        if (p.ppid == pid && p.pid != pid && !p.kernel_thread) out.push_back(&p);
    return out;
}

}  // namespace

const char* vmm_kind_name(VmmKind k) {
    switch (k) {
        case VmmKind::Qemu: return "qemu";
        case VmmKind::Firecracker: return "firecracker";
        case VmmKind::CloudHypervisor: return "cloud-hypervisor";
        case VmmKind::Solo5Hvt: return "solo5-hvt";
        case VmmKind::Solo5Spt: return "solo5-spt";
    }
    return "?";
}

std::string program_name(const SnapProcess& p) {
    if (p.kernel_thread) return p.comm;
    if (!p.exe.empty()) return basename_of(p.exe);
    if (!p.cmdline.empty()) return basename_of(p.cmdline[0]);
    return p.comm;
}

std::optional<VmmKind> vmm_kind(const SnapProcess& p) {
    if (p.kernel_thread) return std::nullopt;
    // exe first; argv[0] too, for a VMM exec'd through a wrapper path (jailer, a copied binary).
    std::vector<std::string> names = {program_name(p)};
    if (!p.cmdline.empty()) names.push_back(basename_of(p.cmdline[0]));
    for (const auto& n : names) {
        if (starts_with(n, "qemu-system-") || n == "qemu-kvm") return VmmKind::Qemu;
        if (n == "firecracker") return VmmKind::Firecracker;
        if (n == "cloud-hypervisor") return VmmKind::CloudHypervisor;
        if (starts_with(n, "solo5-hvt")) return VmmKind::Solo5Hvt;
        if (starts_with(n, "solo5-spt") || n == "nabla-run") return VmmKind::Solo5Spt;
    }
    return std::nullopt;
}

std::vector<VmmProcess> find_vmms(const ProcessSnapshot& s) {
    std::vector<VmmProcess> out;
    for (const auto& p : s.processes)
        if (auto k = vmm_kind(p)) out.push_back(VmmProcess{p.pid, *k});
    return out;
}

std::string vmm_thread_role(VmmKind kind, pid_t vmm_pid, const std::string& c) {
    if (kind == VmmKind::Solo5Spt) return "workload";
    if (c == "vhost-" + std::to_string(vmm_pid)) return "backend";
    auto num_after = [&](const std::string& prefix, const std::string& suffix) {
        if (!starts_with(c, prefix) || c.size() < prefix.size() + suffix.size()) return false;
        if (c.compare(c.size() - suffix.size(), suffix.size(), suffix) != 0) return false;
        return digits(c.substr(prefix.size(), c.size() - prefix.size() - suffix.size()));
    };
    switch (kind) {
        case VmmKind::Qemu:
            if (num_after("CPU ", "/KVM")) return "vcpu";
            break;
        case VmmKind::Firecracker:
            if (num_after("fc_vcpu ", "") || num_after("fc_vcpu", "")) return "vcpu";
            break;
        case VmmKind::CloudHypervisor:
            if (num_after("vcpu", "")) return "vcpu";
            break;
        default: break;
    }
    return "vmm";
}

const RoleAssignment* SandboxView::find(pid_t tid) const {
    for (const auto& t : tasks)
        if (t.tid == tid) return &t;
    return nullptr;
}

std::vector<pid_t> SandboxView::tids_with_role(const std::string& role) const {
    std::vector<pid_t> out;
    for (const auto& t : tasks)
        if (t.role == role) out.push_back(t.tid);
    return out;
}

SandboxView discover_sandbox(const ProcessSnapshot& s, pid_t vmm_pid) {
    SandboxView v;
    v.vmm_pid = vmm_pid;
    const SnapProcess* vmm = s.find(vmm_pid);
    if (!vmm) return v;
    auto kind = vmm_kind(*vmm);
    if (!kind) return v;
    v.kind = *kind;

    // 1. The VMM's own threads, by name; a thread QEMU did not name
    //    (no -name debug-threads=on) is a vCPU when it sits in ioctl(KVM_RUN).
    for (const auto& t : vmm->threads) {
        std::string role = vmm_thread_role(*kind, vmm_pid, t.comm);
        std::string why = role == "backend"  ? "vhost worker thread of the VMM (vhost_task, Linux 6.4+)"
                          : role == "vcpu"   ? "vCPU thread name"
                          : role == "workload" ? "solo5-spt tender runs the unikernel as a seccomp'd process"
                                               : "VMM thread";
        // Only threads that kept the process's name: a vhost_task worker
        // (vhost-N, kvm-nx-lpage-recovery, 6.4+/6.12+) shows the registers of
        // the thread that created it, often a vCPU in KVM_RUN.
        if (role == "vmm" && *kind != VmmKind::Solo5Hvt && t.comm == vmm->comm && blocked_in_kvm_run(t.syscall)) {
            role = "vcpu";
            why = "VMM thread blocked in ioctl(KVM_RUN)";
        }
        if (*kind == VmmKind::Solo5Hvt && role == "vmm") why = "solo5-hvt tender: VMM-equivalent (one thread runs the vCPU too)";
        add(v, *vmm, t, role, why);
    }
    // 2. Helpers the VMM started (e.g. qemu-bridge-helper): vmm.
    std::vector<const SnapProcess*> todo = children_of(s, vmm_pid);
    while (!todo.empty()) {
        const SnapProcess* c = todo.back();
        todo.pop_back();
        add_all_threads(v, *c, *kind == VmmKind::Solo5Spt ? "workload" : "vmm", "child of the VMM");
        for (auto* g : children_of(s, c->pid)) todo.push_back(g);
    }
    // 3. Kernel threads that name this VMM: vhost-<pid> before 6.4, kvm-pit/<pid>.
    for (const auto& p : s.processes) {
        if (!p.kernel_thread) continue;
        pid_t owner = p.owner_pid ? p.owner_pid : kthread_owner_from_name(p.full_name.empty() ? p.comm : p.full_name);
        if (owner != vmm_pid) continue;
        if (starts_with(p.comm, "vhost-")) add_all_threads(v, p, "backend", "vhost kernel thread of the VMM (before Linux 6.4)");
        else if (starts_with(p.comm, "kvm-pit/")) add_all_threads(v, p, "vmm", "KVM PIT kernel thread of the VMM (root cgroup)");
        else if (starts_with(p.comm, "kvm-nx-lpage")) add_all_threads(v, p, "vmm", "KVM NX huge page recovery thread of the VMM");
    }
    // 4. The shim: an ancestor that is one, else (QEMU -daemonize reparents
    //    the VMM) a shim whose argv names the sandbox id.
    const std::string id = sandbox_id_of(*vmm);
    const SnapProcess* shim = nullptr;
    std::set<pid_t> seen;
    for (const SnapProcess* a = s.find(vmm->ppid); a && a->pid > 1 && seen.insert(a->pid).second; a = s.find(a->ppid))
        if (!a->kernel_thread && is_shim(program_name(*a))) {
            shim = a;
            break;
        }
    if (!shim && !id.empty())
        for (const auto& p : s.processes)
            if (!p.kernel_thread && is_shim(program_name(p)) && argv_mentions(p.cmdline, id)) {
                shim = &p;
                break;
            }
    if (shim) {
        v.shim_pid = shim->pid;
        add_all_threads(v, *shim, "runtime", "runtime shim of the sandbox");
    }
    // 5. virtiofsd serving this sandbox: a child of its shim, or one whose
    //    socket the VMM's argv names, or whose argv names the sandbox id.
    for (const auto& p : s.processes) {
        if (p.kernel_thread || program_name(p) != "virtiofsd") continue;
        const SnapProcess* parent = s.find(p.ppid);
        if (parent && program_name(*parent) == "virtiofsd") continue;  // a sandboxing child: taken with its parent
        const std::string sock = virtiofsd_socket(p);
        const bool mine = (shim && p.ppid == shim->pid) || (!sock.empty() && argv_mentions(vmm->cmdline, sock)) ||
                          (!id.empty() && argv_mentions(p.cmdline, id));
        if (!mine) continue;
        add_all_threads(v, p, "backend", "virtiofsd serving the sandbox");
        for (auto* c : children_of(s, p.pid)) add_all_threads(v, *c, "backend", "virtiofsd serving the sandbox");
    }
    std::sort(v.tasks.begin(), v.tasks.end(), [](const auto& a, const auto& b) { return a.tid < b.tid; });
    return v;
}

std::optional<pid_t> vmm_of_sandbox(const ProcessSnapshot& s, const std::string& sandbox_id) {
    if (sandbox_id.empty()) return std::nullopt;
    std::optional<pid_t> found;
    for (const auto& m : find_vmms(s)) {
        const SnapProcess* p = s.find(m.pid);
        bool hit = sandbox_id_of(*p) == sandbox_id || argv_mentions(p->cmdline, sandbox_id);
        if (!hit) {
            auto view = discover_sandbox(s, m.pid);
            if (view.shim_pid) hit = argv_mentions(argv_or_empty(s.find(view.shim_pid)), sandbox_id);
        }
        if (!hit) continue;
        if (found) return std::nullopt;  // ambiguous
        found = m.pid;
    }
    return found;
}

std::vector<SandboxView> discover_all(const ProcessSnapshot& s) {
    std::vector<SandboxView> out;
    for (const auto& m : find_vmms(s)) out.push_back(discover_sandbox(s, m.pid));
    return out;
}

}  // namespace hap
