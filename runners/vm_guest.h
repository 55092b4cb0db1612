// What a vm sandbox boots, apart from QEMU itself: the guest kernel, its
// initramfs (scripts/vm/build-initramfs, cached per kernel under
// CACHE/vm/), the workload's root as an ext4 disk for the microvm shape
// (scripts/vm/build-block-image, cached per root key), and the per-launch
// job (address, scratch paths, the workload's command) appended to the
// initramfs as a second cpio archive, which Linux unpacks over the first.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "process.h"

namespace hap {

struct RootfsImage;

struct GuestKernel {
    std::string vmlinuz;  // .../vmlinuz-RELEASE
    std::string release;  // names the modules directory the initramfs takes
};

// The kernel to boot: `requested` (a vmlinuz-RELEASE path) when given, else
// $HAP_VM_KERNEL, else /boot/vmlinuz-$(uname -r), else the newest
// /boot/vmlinuz-*. Throws UserError naming what is missing.
GuestKernel find_guest_kernel(const std::string& requested);

// The cached initramfs for `kernel` (built on first use, a few seconds).
// Throws UserError with the builder's own reason (e.g. no modules for it).
std::string ensure_guest_initramfs(const GuestKernel& kernel, const std::string& cache_dir);

// The cached ext4 image of a workload root. Throws UserError.
std::string ensure_guest_block_image(const RootfsImage& image, const std::string& cache_dir);

// What the guest runs, and as whom: the workload file's command, user,
// environment and working directory.
struct GuestProcess {
    Argv command;
    uint32_t uid = 0, gid = 0;          // resolved on the host from the root's /etc/passwd
    std::vector<std::string> env;       // "NAME=value", on top of PATH and HOME
    std::string workdir;                // "" = "/"
    std::vector<std::string> scratch;   // tmpfs paths the workload writes: owned by uid:gid
    bool is_default() const { return uid == 0 && gid == 0 && env.empty() && workdir.empty(); }
};

// /job/run of the guest: busybox sh that chroots into the workload's root
// and execs the command, each argument single-quoted. With a user, an
// environment or a working directory, busybox itself is copied to the
// root's /run (a tmpfs of the guest) and applies them inside the chroot:
// start-stop-daemon -c UID:GID (busybox's setpriv cannot change ids; the
// uid must be in the root's /etc/passwd), env, then sh's cd. The scratch
// tmpfs are given to UID:GID first.
std::string guest_job_script(const GuestProcess& process);

// Writes `out`: the initramfs `base` padded to 4-byte alignment, then a newc
// cpio holding job/address (`address_cidr`), job/scratch (the paths the
// workload writes, space-separated) and job/run. `work_dir` is scratch
// space of the launch. Throws UserError.
void write_guest_initrd(const std::string& base, const std::string& address_cidr, const GuestProcess& process,
                        const std::string& work_dir, const std::string& out);

}  // namespace hap
