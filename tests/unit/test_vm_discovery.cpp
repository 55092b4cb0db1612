// VM sandbox discovery (runners/vm_discovery) on process trees recorded in
// the lab with `hapctl snapshot` (tests/fixtures/trees/, see the README):
// two real QEMU VMs on nested KVM, on Linux 6.1 (vhost workers are kernel
// threads) and on 6.12 (vhost workers are threads of the VMM).
#include <catch2/catch.hpp>

#include <algorithm>
#include <set>

#include "kata_runner.h"
#include "process_snapshot.h"
#include "vm_discovery.h"

using namespace hap;

namespace {

ProcessSnapshot load(const std::string& name) {
    auto s = load_snapshot(std::string(HAP_FIXTURES) + "/trees/" + name);
    REQUIRE(s.ok());
    return *s;
}

pid_t vmm_with_arg(const ProcessSnapshot& s, const std::string& needle) {
    for (const auto& m : find_vmms(s)) {
        const auto* p = s.find(m.pid);
        for (const auto& a : p->cmdline)
            if (a.find(needle) != std::string::npos) return m.pid;
    }
    return 0;
}

std::set<pid_t> tids(const SandboxView& v) {
    std::set<pid_t> out;
    for (const auto& t : v.tasks) out.insert(t.tid);
    return out;
}

const SnapProcess* kthread_named(const ProcessSnapshot& s, const std::string& comm) {
    for (const auto& p : s.processes)
        if (p.kernel_thread && p.comm == comm) return &p;
    return nullptr;
}

void check_common(const ProcessSnapshot& s, const SandboxView& v, pid_t vmm) {
    const auto* p = s.find(vmm);
    REQUIRE(p);
    // Every thread of the VMM is in, with a role.
    for (const auto& t : p->threads) {
        const auto* r = v.find(t.tid);
        REQUIRE(r);
        CHECK((r->role == "vmm" || r->role == "vcpu" || r->role == "backend"));
    }
    CHECK(v.find(vmm)->role == "vmm");
    // -smp 2: two vCPUs.
    CHECK(v.tids_with_role("vcpu").size() == 2);
    // kvm-pit/<pid>: a kernel thread outside the VMM's thread group, found by name + owner.
    const auto* pit = kthread_named(s, "kvm-pit/" + std::to_string(vmm));
    REQUIRE(pit);
    CHECK(pit->ppid == 2);
    CHECK(pit->owner_pid == vmm);
    REQUIRE(v.find(pit->pid));
    CHECK(v.find(pit->pid)->role == "vmm");
    // It stays in the root cgroup.
    bool root = false;
    for (const auto& line : pit->cgroup) root = root || line == "0::/";
    CHECK(root);
}

}  // namespace

TEST_CASE("vm discovery: Linux 6.1, vhost workers are kernel threads vhost-<vmm pid>", "[vm_discovery]") {
    auto s = load("lab-6.1-qemu-two-vms.json");
    CHECK(s.kernel_release.rfind("6.1.", 0) == 0);
    REQUIRE(find_vmms(s).size() == 2);
    const pid_t plain = vmm_with_arg(s, "plain-vm");
    REQUIRE(plain > 0);
    auto v = discover_sandbox(s, plain);
    check_common(s, v, plain);
    // Unnamed QEMU threads (no debug-threads=on): vCPUs found blocked in KVM_RUN.
    for (pid_t t : v.tids_with_role("vcpu")) CHECK(v.find(t)->why.find("KVM_RUN") != std::string::npos);
    auto backend = v.tids_with_role("backend");
    REQUIRE(backend.size() == 1);  // vhost-net
    const auto* w = s.find(backend[0]);
    REQUIRE(w);
    CHECK(w->kernel_thread);
    CHECK(w->ppid == 2);
    CHECK(w->comm == "vhost-" + std::to_string(plain));
    CHECK(v.shim_pid == 0);
}

TEST_CASE("vm discovery: Kata-like QEMU (named threads, vhost-net + vhost-vsock) by sandbox id", "[vm_discovery]") {
    auto s = load("lab-6.1-qemu-two-vms.json");
    auto vmm = vmm_of_sandbox(s, "5f1c0ffee0d4");
    REQUIRE(vmm);
    auto v = discover_sandbox(s, *vmm);
    check_common(s, v, *vmm);
    std::set<std::string> vcpu_names;
    for (pid_t t : v.tids_with_role("vcpu")) vcpu_names.insert(v.find(t)->comm);
    CHECK(vcpu_names == std::set<std::string>{"CPU 0/KVM", "CPU 1/KVM"});
    CHECK(v.tids_with_role("backend").size() == 2);  // vhost-net and vhost-vsock workers
    // Its parent is a plain bash standing in for the shim: not a shim.
    CHECK(v.shim_pid == 0);
    CHECK_FALSE(vmm_of_sandbox(s, "no-such-sandbox"));
}

TEST_CASE("vm discovery: Linux 6.12, vhost workers are threads of the VMM", "[vm_discovery]") {
    auto s = load("lab-6.12-qemu-two-vms.json");
    CHECK(s.kernel_release.rfind("6.12.", 0) == 0);
    REQUIRE(find_vmms(s).size() == 2);
    for (const auto& m : find_vmms(s)) {
        auto v = discover_sandbox(s, m.pid);
        check_common(s, v, m.pid);
        auto backend = v.tids_with_role("backend");
        REQUIRE_FALSE(backend.empty());
        for (pid_t t : backend) {
            const auto* r = v.find(t);
            CHECK(r->tgid == m.pid);  // a thread of the VMM, not a kthreadd child
            CHECK(r->comm == "vhost-" + std::to_string(m.pid));
        }
        CHECK_FALSE(kthread_named(s, "vhost-" + std::to_string(m.pid)));
    }
}

TEST_CASE("vm discovery: two sandboxes on one host are kept apart", "[vm_discovery]") {
    for (const char* f : {"lab-6.1-qemu-two-vms.json", "lab-6.12-qemu-two-vms.json"}) {
        auto s = load(f);
        auto all = discover_all(s);
        REQUIRE(all.size() == 2);
        auto a = tids(all[0]), b = tids(all[1]);
        std::vector<pid_t> both;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        CHECK(both.empty());
        // Each one's pit and vhost workers name its own VMM.
        for (const auto& v : all)
            for (const auto& t : v.tasks) {
                if (t.comm.rfind("kvm-pit/", 0) == 0 || t.comm.rfind("vhost-", 0) == 0)
                    CHECK(kthread_owner_from_name(t.comm) == v.vmm_pid);
            }
    }
}

TEST_CASE("vm discovery: thread names and kernel-thread owners", "[vm_discovery]") {
    CHECK(vmm_thread_role(VmmKind::Qemu, 812, "CPU 3/KVM") == "vcpu");
    CHECK(vmm_thread_role(VmmKind::Qemu, 812, "vhost-812") == "backend");
    CHECK(vmm_thread_role(VmmKind::Qemu, 812, "vhost-813") == "vmm");
    CHECK(vmm_thread_role(VmmKind::Firecracker, 9, "fc_vcpu 0") == "vcpu");
    CHECK(vmm_thread_role(VmmKind::Firecracker, 9, "fc_api") == "vmm");
    CHECK(vmm_thread_role(VmmKind::Solo5Spt, 9, "solo5-spt") == "workload");
    CHECK(vmm_thread_role(VmmKind::Solo5Hvt, 9, "solo5-hvt") == "vmm");
    CHECK(kthread_owner_from_name("kvm-pit/812") == 812);
    CHECK(kthread_owner_from_name("kvm-nx-lpage-recovery-812") == 812);
    CHECK(kthread_owner_from_name("vhost-") == 0);
    CHECK(kthread_owner_from_name("kworker/0:1") == 0);
}

// Firecracker (Kata's other VMM) and solo5-hvt have not been recorded here
// (Firecracker is not packaged for Debian; hvt runs only on nested KVM in the
// lab): these trees are built from their documented process layouts
// (Firecracker's thread names "fc_api" and "fc_vcpu N", Kata's shim
// containerd-shim-kata-v2 starting `firecracker --id <sandbox>`, KVM's
// kvm-pit/<pid> for the PIT Firecracker creates; solo5-hvt). They test the
// attribution rules, not the layouts; a recording (`hapctl snapshot`) from a
// host that runs them should replace them.
namespace {

SnapProcess process(pid_t pid, pid_t ppid, const std::string& comm, std::vector<std::string> argv,
                    std::vector<std::string> threads = {}) {
    SnapProcess p;
    p.pid = p.tgid = pid;
    p.ppid = ppid;
    p.comm = comm;
    p.exe = "/usr/bin/" + comm;
    p.cmdline = std::move(argv);
    p.threads.push_back(SnapThread{pid, pid, ppid, comm, "running"});
    pid_t tid = pid;
    for (const auto& t : threads) p.threads.push_back(SnapThread{++tid, pid, ppid, t, ""});
    return p;
}

SnapProcess kernel_thread(pid_t pid, const std::string& comm) {
    SnapProcess p;
    p.pid = p.tgid = pid;
    p.ppid = 2;
    p.comm = comm;
    p.kernel_thread = true;
    p.threads.push_back(SnapThread{pid, pid, 2, comm, ""});
    return p;
}

}  // namespace

TEST_CASE("vm discovery: Kata with Firecracker (documented layout, not a recording)", "[vm_discovery]") {
    ProcessSnapshot s;
    s.processes = {
        process(700, 1, "containerd-shim-kata-v2", {"containerd-shim-kata-v2", "-namespace", "default", "-id", "fc1"}),
        process(720, 700, "firecracker", {"firecracker", "--id", "fc1", "--api-sock", "/run/fc1.sock"},
                {"fc_api", "fc_vcpu 0", "fc_vcpu 1"}),
        kernel_thread(730, "kvm-pit/720"),
        kernel_thread(731, "kvm-pit/999"),  // another VM's
    };
    auto vmms = find_vmms(s);
    REQUIRE(vmms.size() == 1);
    CHECK(vmms[0].kind == VmmKind::Firecracker);
    SandboxView v = discover_sandbox(s, 720);
    CHECK(v.find(720)->role == "vmm");
    CHECK(v.find(721)->role == "vmm");  // fc_api
    CHECK(v.tids_with_role("vcpu") == std::vector<pid_t>{722, 723});
    CHECK(v.find(730)->role == "vmm");
    CHECK_FALSE(v.find(731));
    CHECK(v.shim_pid == 700);
    CHECK(v.find(700)->role == "runtime");
    CHECK(v.tids_with_role("backend").empty());  // Firecracker emulates its virtio devices itself: no vhost
}

// The spt tender's real layouts (hap's, runnc's, Docker's) are recorded:
// test_nabla.cpp. solo5-hvt is run only by hap (runnc runs spt).
TEST_CASE("vm discovery: Nabla's solo5 hvt tender (documented layout, not a recording)", "[vm_discovery]") {
    SECTION("solo5-hvt: a KVM tender whose one thread is the VMM and runs the vCPU") {
        ProcessSnapshot s;
        s.processes = {process(900, 1, "runnc", {"runnc", "start", "n2"}),
                       process(910, 900, "solo5-hvt", {"solo5-hvt", "--mem=512", "/rootfs/redis.hvt"})};
        SandboxView v = discover_sandbox(s, 910);
        CHECK(v.kind == VmmKind::Solo5Hvt);
        CHECK(v.find(910)->role == "vmm");
        CHECK(v.find(900)->role == "runtime");
    }
}

// Kata 3.x layouts as its source lays them out (src/runtime/virtcontainers:
// qemu.go, fc.go, clh.go; govmm's QEMU command line; the jailer's
// --daemonize), built by hand: no Kata 3.x builds on these machines (its
// agent is Rust with ~560 crates and no vendor directory).
TEST_CASE("vm discovery: Kata 3.x QEMU without thread names finds vCPUs by KVM_RUN", "[vm_discovery][kata]") {
    // debug-threads only with enable_debug (3.4+): every thread is "qemu-system-x86".
    ProcessSnapshot s;
    auto shim = process(600, 1, "containerd-shim-kata-v2", {"/opt/kata/bin/containerd-shim-kata-v2", "-namespace", "hap", "-id", "k1"});
    auto qemu = process(620, 600, "qemu-system-x86",
                        {"/opt/kata/bin/qemu-system-x86_64", "-name", "sandbox-k1", "-uuid", "x", "-machine", "q35,accel=kvm"},
                        {"qemu-system-x86", "qemu-system-x86", "qemu-system-x86"});
    qemu.exe = "/opt/kata/bin/qemu-system-x86_64";
    qemu.threads[2].syscall = "16 0x12 0xae80 0x0 0x0 0x0 0x0 0x7f00 0x7f01";  // ioctl(vcpu fd, KVM_RUN)
    s.processes = {shim, qemu, kernel_thread(630, "kvm-pit/620"), kernel_thread(631, "vhost-620")};
    REQUIRE(vmm_of_sandbox(s, "k1") == std::optional<pid_t>(620));
    SandboxView v = discover_sandbox(s, 620);
    CHECK(v.tids_with_role("vcpu") == std::vector<pid_t>{622});
    CHECK(v.find(621)->role == "vmm");
    CHECK(v.find(631)->role == "backend");
    CHECK(v.shim_pid == 600);
}

TEST_CASE("vm discovery: Kata 3.x Firecracker under the jailer (daemonized, chrooted, ppid 1)", "[vm_discovery][kata]") {
    // jailer --id k2 --exec-file .../firecracker --chroot-base-dir /run/vc --daemonize, then
    // exec "/firecracker --id k2 ... --config-file /fcConfig.json" inside the chroot.
    ProcessSnapshot s;
    auto shim = process(700, 1, "containerd-shim-kata-v2", {"/opt/kata/bin/containerd-shim-kata-v2", "-namespace", "hap", "-id", "k2"});
    auto fc = process(730, 1, "firecracker",
                      {"/firecracker", "--id", "k2", "--start-time-us", "1", "--start-time-cpu-us", "1", "--parent-cpu-time-us",
                       "1", "--config-file", "/fcConfig.json"},
                      {"fc_api", "fc_vcpu 0"});
    fc.exe = "/run/vc/firecracker/k2/root/firecracker";
    s.processes = {shim, fc, kernel_thread(740, "kvm-pit/730")};
    REQUIRE(vmm_of_sandbox(s, "k2") == std::optional<pid_t>(730));
    SandboxView v = discover_sandbox(s, 730);
    CHECK(v.kind == VmmKind::Firecracker);
    CHECK(v.tids_with_role("vcpu") == std::vector<pid_t>{732});
    CHECK(v.find(731)->role == "vmm");
    CHECK(v.shim_pid == 700);  // not its parent: found by the sandbox id on its argv
    CHECK(v.find(700)->role == "runtime");
}

TEST_CASE("vm discovery: Kata 3.x cloud-hypervisor (vcpuN threads, api socket under /run/vc/vm/<id>)", "[vm_discovery][kata]") {
    ProcessSnapshot s;
    auto shim = process(800, 1, "containerd-shim-kata-v2", {"/opt/kata/bin/containerd-shim-kata-v2", "-namespace", "hap", "-id", "k3"});
    auto clh = process(820, 800, "cloud-hypervisor",
                       {"/opt/kata/bin/cloud-hypervisor", "--api-socket", "/run/vc/vm/k3/clh-api.sock"},
                       {"http-server", "vcpu0", "vcpu1", "_disk0"});
    s.processes = {shim, clh};
    REQUIRE(vmm_of_sandbox(s, "k3") == std::optional<pid_t>(820));
    SandboxView v = discover_sandbox(s, 820);
    CHECK(v.tids_with_role("vcpu") == std::vector<pid_t>{822, 823});
    CHECK(v.find(824)->role == "vmm");
    CHECK(v.find(800)->role == "runtime");
}

// A real Kata (1.12.1, built by hand, shim v2 under containerd 1.6.20) in the
// lab guest on Debian 6.1: redis sandbox "kredis1", recorded with `hapctl
// snapshot --pid <shim> --pid <qemu>` (tests/fixtures/README.md).
TEST_CASE("vm discovery: a real Kata 1.12 sandbox (QEMU daemonized, threads unnamed)", "[vm_discovery][kata]") {
    auto s = load("lab-6.1-kata-1.12-redis.json");
    auto vmm = vmm_of_sandbox(s, "kredis1");
    REQUIRE(vmm == std::optional<pid_t>(983));
    const auto* qemu = s.find(983);
    REQUIRE(qemu);
    CHECK(qemu->ppid == 1);  // -daemonize: not the shim's child
    SandboxView v = discover_sandbox(s, 983);
    // The shim is found by the sandbox id on its argv (-id kredis1), not by parentage.
    CHECK(v.shim_pid == 967);
    CHECK(v.find(967)->role == "runtime");
    CHECK(v.tids_with_role("runtime").size() == 10);
    CHECK(v.find(986)->role == "backend");  // vhost-983, a kernel thread on 6.1
    CHECK(v.find(989)->role == "vmm");      // kvm-pit/983
    // Every QEMU thread is "qemu-system-x86" (no debug-threads), and the one
    // vCPU was running when the tree was taken, not blocked in KVM_RUN: by
    // names and /proc alone it is a vmm thread. This is why hap captures
    // kvm_exit for every VM sandbox (TaskTable::on_guest_exit makes it vcpu).
    CHECK(v.tids_with_role("vcpu").empty());
    CHECK(v.find(988)->role == "vmm");
    for (const auto& t : qemu->threads) CHECK(t.comm == "qemu-system-x86");
}

TEST_CASE("the files a Kata configuration runs: VMM, kernel, initrd, never [proxy]/[shim]/[netmon] paths", "[kata]") {
    // The keys and tables of the configuration-qemu.toml the lab's Kata
    // 1.12.1 ran with (results/lab-6.1-kata), values as there; image = "" is unset.
    const std::string config = R"(# the lab's configuration, its hypervisor table and three tables after it
[hypervisor.qemu]
path = "/usr/bin/qemu-system-x86_64"
kernel = "/opt/kata/share/kata-containers/vmlinuz-6.1.0-57-amd64"
initrd = "/opt/kata/share/kata-containers/kata-initrd.img"
image = ""
machine_type = "q35"
kernel_params = ""

[proxy.kata]
path = "/opt/kata/libexec/kata-containers/kata-proxy"

[shim.kata]
path = "/opt/kata/libexec/kata-containers/kata-shim"

[netmon]
path = "/opt/kata/libexec/kata-containers/kata-netmon"
)";
    CHECK(kata_hypervisor_files(config) ==
          std::vector<std::string>{"/usr/bin/qemu-system-x86_64", "/opt/kata/share/kata-containers/vmlinuz-6.1.0-57-amd64",
                                   "/opt/kata/share/kata-containers/kata-initrd.img"});
    CHECK(kata_hypervisor_files("[hypervisor.firecracker]\npath = \"/opt/kata/bin/firecracker\"\nimage = \"/k/rootfs.img\"\n") ==
          std::vector<std::string>{"/opt/kata/bin/firecracker", "/k/rootfs.img"});
    CHECK(kata_hypervisor_files("").empty());
}
