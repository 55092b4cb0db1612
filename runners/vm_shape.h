// The machine shapes of the vm runtime (`--runtime vm --platform q35|microvm`)
// and the QEMU argument vector of each. Pure: unit tests check the argv.
//   q35      Kata-QEMU's shape: PCI (QEMU's q35 machine), virtio-net-pci on a
//            tap served by vhost-net in the host kernel, vhost-vsock-pci (the
//            channel kata-agent uses), and the root shared from the host with
//            virtio-fs (virtiofsd; guest RAM in a shared memfd, as vhost-user
//            needs), or virtio-9p (served inside QEMU) where no virtiofsd is
//            installed. Both shapes get a virtio-rng (Kata's QEMU and
//            Firecracker give one) so the guest's CRNG starts at once.
//   microvm  Firecracker's shape: QEMU's microvm machine, virtio-mmio only, no
//            PCI, no firmware option ROMs, ACPI tables only (as Firecracker
//            gives x86 guests since 1.8); virtio-net emulated by the
//            VMM itself (no vhost, as Firecracker does) and the root on an
//            emulated virtio-blk disk (Firecracker has no shared file system).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.h"

namespace hap {

enum class RootSharing { VirtioFs, Virtio9p, Block };
const char* root_sharing_name(RootSharing r);  // virtiofs, 9p, blk (also the guest's hap.root=)

struct VmShape {
    std::string machine;  // "q35" or "microvm": the platform stored with the run
    RootSharing root = RootSharing::VirtioFs;
    bool vhost_net = false;   // virtio-net served by vhost-net (a host kernel worker)
    bool vhost_vsock = false; // vhost-vsock device present
    int cpus = 1;
    int mem_mb = 512;

    // Host task roles the shape has: microvm has no backend (nothing outside
    // the VMM serves its devices).
    std::vector<std::string> roles() const;
    // Every setting that changes the figure, for the run's settings JSON.
    nlohmann::json settings() const;
    // The devices, in words, for `network()` and progress lines.
    std::string network() const;
};

// `platform` "" means q35. `shared_fs` is q35's way to share the root, as
// Kata's shared_fs setting names it: "virtio-fs", "virtio-9p", or "" for
// virtio-fs where `virtiofsd` (the path of an installed one) is non-empty,
// else virtio-9p. Throws UserError (usage) for an unknown platform or
// shared_fs, virtio-fs without a virtiofsd, or out-of-range vCPUs / memory.
VmShape make_vm_shape(const std::string& platform, const std::string& shared_fs, const std::string& virtiofsd, int cpus,
                      int mem_mb);

// Where a launch's files and devices are (runners/vm_runner.cpp fills it).
struct VmLaunchSpec {
    std::string qemu;             // qemu-system-x86_64
    std::string name;             // the sandbox id: -name, and the key for leftovers
    std::string kernel, initrd;   // guest vmlinuz; initramfs with the job appended
    std::string append_extra;     // the user's guest kernel parameters
    std::string console_log;      // the guest's serial console
    std::string tap;              // tap interface in the VMM's network namespace
    std::string virtiofsd_socket; // q35 + virtio-fs
    std::string rootfs_dir;       // q35 + 9p
    std::string block_image;      // microvm
    unsigned vsock_cid = 0;       // q35: a context id unique on this host (> 2)
    std::string machine_extra;    // appended to -machine (",pit=off" style), from $HAP_VM_MACHINE_OPTS
};

// The guest kernel's command line: serial console, reboot and panic end QEMU
// (-no-reboot), hap.root= tells the guest's /init how the root arrives.
std::string guest_kernel_cmdline(const VmShape& shape, const std::string& extra);

// QEMU's argv for one guest: KVM, `-cpu host`, no default devices, no
// reboot (a guest reboot or panic ends QEMU), threads named (debug-threads)
// so vCPU threads read "CPU N/KVM".
Argv qemu_argv(const VmShape& shape, const VmLaunchSpec& spec);

}  // namespace hap
