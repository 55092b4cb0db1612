// The vm runtime's machine shapes as QEMU argument vectors, and the guest's
// job script: pure functions, checked without QEMU or KVM.
#include <catch2/catch.hpp>

#include <algorithm>

#include "error.h"
#include "vm_guest.h"
#include "vm_shape.h"

using namespace hap;

namespace {

VmLaunchSpec spec() {
    VmLaunchSpec s;
    s.qemu = "/usr/bin/qemu-system-x86_64";
    s.name = "hap-42-400";
    s.kernel = "/boot/vmlinuz-6.1.0-57-amd64";
    s.initrd = "/run/hap/vm/hap-42-400/initrd";
    s.console_log = "/run/hap/vm/hap-42-400/console.log";
    s.tap = "haptap0";
    s.virtiofsd_socket = "/run/hap/vm/hap-42-400/virtiofsd.sock";
    s.rootfs_dir = "/var/cache/hap/images/redis/rootfs";
    s.block_image = "/var/cache/hap/vm/root-ebb54502f84c.ext4";
    s.vsock_cid = 43008;
    return s;
}

bool has(const Argv& a, const std::string& x) { return std::find(a.begin(), a.end(), x) != a.end(); }

// The value after an option, e.g. after("-machine").
std::string after(const Argv& a, const std::string& opt) {
    auto it = std::find(a.begin(), a.end(), opt);
    return it == a.end() || it + 1 == a.end() ? "" : *(it + 1);
}

bool any_contains(const Argv& a, const std::string& needle) {
    return std::any_of(a.begin(), a.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("q35 is Kata-QEMU's shape: PCI, vhost-net, vhost-vsock, virtio-fs on shared memory", "[vm]") {
    const VmShape s = make_vm_shape("", "", "/usr/lib/qemu/virtiofsd", 1, 512);
    CHECK(s.machine == "q35");
    CHECK(s.root == RootSharing::VirtioFs);
    const Argv a = qemu_argv(s, spec());
    CHECK(after(a, "-machine") == "q35,accel=kvm,memory-backend=mem");
    CHECK(after(a, "-object") == "memory-backend-memfd,id=mem,size=512M,share=on");
    CHECK(after(a, "-netdev") == "tap,id=net0,ifname=haptap0,script=no,downscript=no,vhost=on");
    CHECK(has(a, "virtio-net-pci,netdev=net0"));
    CHECK(has(a, "vhost-user-fs-pci,chardev=vfs,tag=haproot"));
    CHECK(after(a, "-chardev") == "socket,id=vfs,path=/run/hap/vm/hap-42-400/virtiofsd.sock");
    CHECK(has(a, "vhost-vsock-pci,guest-cid=43008"));
    CHECK(has(a, "virtio-rng-pci,rng=rng0"));
    // Named threads ("CPU 0/KVM"), the sandbox id in -name for leftovers, no reboot.
    CHECK(after(a, "-name") == "hap-42-400,debug-threads=on");
    CHECK(has(a, "-no-reboot"));
    CHECK(after(a, "-cpu") == "host");
    CHECK(after(a, "-append").find("hap.root=virtiofs") != std::string::npos);
    CHECK(s.roles() == std::vector<std::string>{"vmm", "vcpu", "backend"});
    CHECK(s.settings()["vhost_net"] == true);
    CHECK(s.settings()["root_sharing"] == "virtiofs");
}

TEST_CASE("q35 without a virtiofsd shares the root over virtio-9p, and says so", "[vm]") {
    const VmShape s = make_vm_shape("q35", "", "", 2, 1024);
    CHECK(s.root == RootSharing::Virtio9p);
    const Argv a = qemu_argv(s, spec());
    CHECK(after(a, "-machine") == "q35,accel=kvm");
    CHECK(after(a, "-fsdev") == "local,id=root9p,path=/var/cache/hap/images/redis/rootfs,security_model=none,readonly=on");
    CHECK(has(a, "virtio-9p-pci,fsdev=root9p,mount_tag=haproot"));
    CHECK_FALSE(any_contains(a, "vhost-user-fs"));
    CHECK(after(a, "-smp") == "2");
    CHECK(after(a, "-m") == "1024M");
    CHECK(s.settings()["root_sharing"] == "9p");
}

TEST_CASE("microvm is Firecracker's shape: virtio-mmio, no PCI, network emulated in the VMM", "[vm]") {
    const VmShape s = make_vm_shape("microvm", "", "/usr/lib/qemu/virtiofsd", 1, 512);
    CHECK(s.machine == "microvm");
    CHECK(s.root == RootSharing::Block);
    CHECK_FALSE(s.vhost_net);
    const Argv a = qemu_argv(s, spec());
    CHECK(after(a, "-machine") == "microvm,accel=kvm,acpi=on,x-option-roms=off,isa-serial=on");
    CHECK(has(a, "virtio-rng-device,rng=rng0"));
    CHECK(after(a, "-netdev").find("vhost=off") != std::string::npos);
    CHECK(has(a, "virtio-net-device,netdev=net0"));
    CHECK(has(a, "virtio-blk-device,drive=root"));
    CHECK(after(a, "-drive") == "id=root,file=/var/cache/hap/vm/root-ebb54502f84c.ext4,format=raw,if=none,readonly=on");
    CHECK_FALSE(any_contains(a, "-pci"));
    CHECK_FALSE(any_contains(a, "vsock"));
    CHECK(after(a, "-append").find("hap.root=blk") != std::string::npos);
    // Nothing outside the VMM serves its devices: no backend role at all.
    CHECK(s.roles() == std::vector<std::string>{"vmm", "vcpu"});
    CHECK(s.settings()["bus"] == "virtio-mmio");
}

TEST_CASE("vm shapes refuse unknown platforms and sizes with a usage error", "[vm]") {
    auto code = [](auto f) {
        try {
            f();
        } catch (const UserError& e) {
            return e.exit_code();
        }
        return 0;
    };
    CHECK(code([] { make_vm_shape("firecracker", "", "", 1, 512); }) == kExitUsage);
    CHECK(code([] { make_vm_shape("q35", "", "", 0, 512); }) == kExitUsage);
    CHECK(code([] { make_vm_shape("q35", "", "", 1, 64); }) == kExitUsage);
    CHECK(code([] { make_vm_shape("q35", "virtio-fs", "", 1, 512); }) == kExitUsage);  // no virtiofsd
    CHECK(code([] { make_vm_shape("q35", "nfs", "/usr/lib/qemu/virtiofsd", 1, 512); }) == kExitUsage);
    CHECK(code([] { make_vm_shape("microvm", "virtio-9p", "", 1, 512); }) == kExitUsage);
    CHECK(make_vm_shape("q35", "virtio-9p", "/usr/lib/qemu/virtiofsd", 1, 512).root == RootSharing::Virtio9p);
}

TEST_CASE("the guest's job script quotes every argument for busybox sh", "[vm]") {
    GuestProcess p;
    p.command = {"/usr/bin/redis-server", "--save", "", "--x", "it's"};
    const std::string s = guest_job_script(p);
    CHECK(s.find("exec chroot /newroot '/usr/bin/redis-server' '--save' '' '--x' 'it'\\''s'\n") != std::string::npos);
    CHECK(s.find("export PATH=") != std::string::npos);
    CHECK(s.find("start-stop-daemon") == std::string::npos);  // nothing to apply: the plain chroot, as before
}

TEST_CASE("the guest applies a user, an environment and a working directory inside the chroot", "[vm]") {
    GuestProcess p;
    p.command = {"/bin/sh", "-c", "exec postgres"};
    p.uid = 105;
    p.gid = 108;
    p.env = {"PGDATA=/var/lib/postgresql/data", "LANG=C.UTF-8"};
    p.workdir = "/var/lib/postgresql";
    p.scratch = {"/var/lib/postgresql"};
    const std::string s = guest_job_script(p);
    CHECK(s.find("cp /bin/busybox /newroot/run/hap/busybox") != std::string::npos);
    CHECK(s.find("chown 105:108 '/newroot/var/lib/postgresql' || exit 1\n") != std::string::npos);
    CHECK(s.find("exec chroot /newroot /run/hap/busybox start-stop-daemon -S -n hap-matches-none -c 105:108 -x /run/hap/busybox -a busybox -- env "
                 "'PGDATA=/var/lib/postgresql/data' 'LANG=C.UTF-8' /run/hap/busybox sh -c 'cd \"$1\" || exit 1; shift; exec \"$@\"' "
                 "sh '/var/lib/postgresql' '/bin/sh' '-c' 'exec postgres'\n") != std::string::npos);
}

TEST_CASE("the guest kernel command line ends QEMU on panic and names the root", "[vm]") {
    const VmShape s = make_vm_shape("microvm", "", "", 1, 512);
    const std::string c = guest_kernel_cmdline(s, "mitigations=off");
    CHECK(c.find("console=ttyS0") != std::string::npos);
    CHECK(c.find("panic=-1") != std::string::npos);
    CHECK(c.find("reboot=t") != std::string::npos);
    CHECK(c.find("tsc=reliable no_timer_check") != std::string::npos);  // Kata's
    CHECK(c.find("hap.root=blk") != std::string::npos);
    CHECK(c.substr(c.size() - 15) == "mitigations=off");
}
