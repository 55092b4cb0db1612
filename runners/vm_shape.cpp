#include "vm_shape.h"

#include <fmt/format.h>

#include "error.h"

namespace hap {

const char* root_sharing_name(RootSharing r) {
    switch (r) {
        case RootSharing::VirtioFs: return "virtiofs";
        case RootSharing::Virtio9p: return "9p";
        case RootSharing::Block: return "blk";
    }
    return "?";
}

std::vector<std::string> VmShape::roles() const {
    std::vector<std::string> r = {"vmm", "vcpu"};
    // vhost workers serve q35's network in the host kernel; virtiofsd its root.
    if (vhost_net || vhost_vsock || root == RootSharing::VirtioFs) r.push_back("backend");
    return r;
}

nlohmann::json VmShape::settings() const {
    return {{"machine", machine},
            {"bus", machine == "microvm" ? "virtio-mmio" : "pci"},
            {"acpi", true},
            {"net", vhost_net ? "virtio-net, vhost-net" : "virtio-net, emulated in the VMM (no vhost)"},
            {"vhost_net", vhost_net},
            {"vhost_vsock", vhost_vsock},
            {"root_sharing", root_sharing_name(root)},
            {"vcpus", cpus},
            {"memory_mb", mem_mb}};
}

std::string VmShape::network() const {
    return std::string("tap (hap netns, tc redirect from the veth) -> ") +
           (vhost_net ? "virtio-net-pci, vhost-net" : "virtio-net-device (virtio-mmio), emulated in QEMU");
}

VmShape make_vm_shape(const std::string& platform, const std::string& shared_fs, const std::string& virtiofsd, int cpus,
                      int mem_mb) {
    if (cpus < 1 || cpus > 64) throw UserError(fmt::format("--guest-cpus {} is out of range", cpus), "give 1 to 64", kExitUsage);
    if (mem_mb < 128 || mem_mb > 65536)
        throw UserError(fmt::format("--guest-mem {} MB is out of range", mem_mb), "give 128 to 65536 (MB)", kExitUsage);
    VmShape s;
    s.cpus = cpus;
    s.mem_mb = mem_mb;
    if (platform.empty() || platform == "q35") {
        s.machine = "q35";
        if (shared_fs.empty()) s.root = virtiofsd.empty() ? RootSharing::Virtio9p : RootSharing::VirtioFs;
        else if (shared_fs == "virtio-9p") s.root = RootSharing::Virtio9p;
        else if (shared_fs == "virtio-fs") s.root = RootSharing::VirtioFs;
        else throw UserError("unknown --guest-shared-fs '" + shared_fs + "'", "use virtio-fs or virtio-9p", kExitUsage);
        if (s.root == RootSharing::VirtioFs && virtiofsd.empty())
            throw UserError("--guest-shared-fs virtio-fs needs virtiofsd, and none is installed",
                            "install it (Debian 12: qemu-system-common has /usr/lib/qemu/virtiofsd), or use virtio-9p", kExitUsage);
        s.vhost_net = true;
        s.vhost_vsock = true;
    } else if (platform == "microvm") {
        if (!shared_fs.empty())
            throw UserError("microvm has no shared file system (its root is a virtio-blk disk, as Firecracker's)",
                            "drop --guest-shared-fs", kExitUsage);
        s.machine = "microvm";
        s.root = RootSharing::Block;
    } else {
        throw UserError("unknown vm platform '" + platform + "'",
                        "use --platform q35 (Kata-QEMU's shape, the default) or microvm (Firecracker's)", kExitUsage);
    }
    return s;
}

std::string guest_kernel_cmdline(const VmShape& shape, const std::string& extra) {
    // reboot=t: a triple fault resets on any machine (microvm has no ACPI or
    // keyboard controller to reset with); panic=-1 reboots at once.
    // earlyprintk and loglevel=7: the console shows the whole boot, so a
    // guest that stops is quoted where it stopped. tsc=reliable and
    // no_timer_check are in Kata's default kernel parameters; without them
    // the microvm guest stopped at boot under nested KVM.
    std::string c = std::string("console=ttyS0 earlyprintk=serial,ttyS0,115200 loglevel=7 reboot=t panic=-1 net.ifnames=0 "
                                "tsc=reliable no_timer_check hap.root=") +
                    root_sharing_name(shape.root);
    if (!extra.empty()) c += " " + extra;
    return c;
}

Argv qemu_argv(const VmShape& shape, const VmLaunchSpec& spec) {
    const std::string mem = std::to_string(shape.mem_mb) + "M";
    Argv a = {spec.qemu, "-name", spec.name + ",debug-threads=on", "-nodefaults", "-no-user-config", "-display", "none",
              "-no-reboot", "-cpu", "host", "-smp", std::to_string(shape.cpus), "-m", mem};
    if (shape.machine == "microvm") {
        // With ACPI, as Firecracker gives x86 guests since 1.8 (and QEMU's
        // microvm by default): the devices are described there, not on the
        // command line. Without ACPI (no HPET, no PM timer) Debian's 6.1
        // kernel stopped early in boot under nested KVM.
        a.insert(a.end(), {"-machine", "microvm,accel=kvm,acpi=on,x-option-roms=off,isa-serial=on" + spec.machine_extra});
    } else if (shape.root == RootSharing::VirtioFs) {
        // vhost-user (virtiofsd) maps guest RAM: it must be a shared memfd.
        a.insert(a.end(), {"-object", "memory-backend-memfd,id=mem,size=" + mem + ",share=on", "-machine",
                           "q35,accel=kvm,memory-backend=mem" + spec.machine_extra});
    } else {
        a.insert(a.end(), {"-machine", "q35,accel=kvm" + spec.machine_extra});
    }
    a.insert(a.end(), {"-kernel", spec.kernel, "-initrd", spec.initrd, "-append", guest_kernel_cmdline(shape, spec.append_extra),
                       "-serial", "file:" + spec.console_log, "-monitor", "none"});
    const std::string tap = "tap,id=net0,ifname=" + spec.tap + ",script=no,downscript=no,vhost=" + (shape.vhost_net ? "on" : "off");
    a.insert(a.end(), {"-netdev", tap, "-device",
                       std::string(shape.machine == "microvm" ? "virtio-net-device" : "virtio-net-pci") + ",netdev=net0"});
    switch (shape.root) {
        case RootSharing::VirtioFs:
            a.insert(a.end(), {"-chardev", "socket,id=vfs,path=" + spec.virtiofsd_socket, "-device",
                               "vhost-user-fs-pci,chardev=vfs,tag=haproot"});
            break;
        case RootSharing::Virtio9p:
            a.insert(a.end(), {"-fsdev", "local,id=root9p,path=" + spec.rootfs_dir + ",security_model=none,readonly=on",
                               "-device", "virtio-9p-pci,fsdev=root9p,mount_tag=haproot"});
            break;
        case RootSharing::Block:
            a.insert(a.end(), {"-drive", "id=root,file=" + spec.block_image + ",format=raw,if=none,readonly=on", "-device",
                               std::string(shape.machine == "microvm" ? "virtio-blk-device" : "virtio-blk-pci") + ",drive=root"});
            break;
    }
    if (shape.vhost_vsock) a.insert(a.end(), {"-device", "vhost-vsock-pci,guest-cid=" + std::to_string(spec.vsock_cid)});
    // An entropy source, as Kata's QEMU and Firecracker (virtio-rng) give:
    // without RDRAND a nested guest's CRNG takes minutes to initialise, and
    // the workload's first getrandom() waits for it.
    a.insert(a.end(), {"-object", "rng-random,id=rng0,filename=/dev/urandom", "-device",
                       std::string(shape.machine == "microvm" ? "virtio-rng-device" : "virtio-rng-pci") + ",rng=rng0"});
    return a;
}

}  // namespace hap
