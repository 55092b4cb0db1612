// Kata Containers (`--runtime kata`, `--platform qemu|firecracker`): the
// workload in a VM through containerd's shim v2:
//   ctr -a SOCK -n hap run --runtime /opt/kata/bin/containerd-shim-kata-v2
//       --runtime-config-path <Kata configuration-{qemu,fc}.toml>
//       --read-only --mount type=tmpfs,... (each scratch path) --log-uri file:///...
//       --with-ns network:/var/run/netns/<hap ns> --rootfs ROOT -d ID CMD...   (QEMU: rootfs shared)
//   The shim by absolute path: containerd resolves io.containerd.kata.v2 only
//   on its own PATH, and kata-static installs to /opt/kata/bin (containerd
//   1.6+ takes a path). Read-only root and tmpfs scratch: the root is hap's
//   cached image, shared writable into the guest otherwise. A log URI: a
//   detached task's stdout FIFO with no reader blocks the workload after 64 KiB.
//   Firecracker has no virtio-fs: it needs a block-device snapshotter
//   (`--snapshotter devmapper`) and an image already in it ($HAP_KATA_IMAGE).
// Host tasks (vm_discovery.h): containerd-shim-kata-v2 (runtime), the VMM
// (qemu-system-* or firecracker: vmm, vCPU threads: vcpu), vhost workers and
// virtiofsd (backend), kvm-pit/<vmm pid> (vmm). kata-agent runs in the guest.
// Not installable on the development hosts: prepare() says what is missing.
#pragma once

#include <memory>

#include "image_store.h"
#include "netns_link.h"
#include "runner.h"

namespace hap {

struct KataInstall {
    std::string shim;        // containerd-shim-kata-v2 (the Go runtime's)
    std::string config;      // configuration-<platform>.toml
    std::string ctr;         // containerd's client
    std::string containerd;  // socket
};

// The files a Kata configuration names in its [hypervisor.*] table: the
// VMM (`path`), `kernel`, `initrd` and `image`, in that order, where set.
// Kata's configuration-*.toml layout (src/runtime/config in Kata's source).
std::vector<std::string> kata_hypervisor_files(const std::string& config_text);

// Where a Kata install keeps things (release tarball under /opt/kata,
// distribution packages under /usr); "" where nothing was found.
KataInstall find_kata_install(const std::string& platform);

// Which Kata runtime a containerd-shim-kata-v2 binary is, from the version
// string it carries (Kata 3.1+: "containerd shim (Golang)" in
// src/runtime/cmd/containerd-shim-kata-v2, "containerd shim (Rust)" in
// runtime-rs): "go", "rust", or "" when neither string is in the file.
// runtime-rs with Dragonball runs the VMM inside the shim (threads
// db_vcpu_N, vmm_master): hap refuses it in one line (kata_runner.cpp).
std::string kata_shim_flavour(const std::string& shim_path);

// True when the shim of `sandbox_id` (its argv names the id) has Dragonball's
// threads (db_vcpu_N, vmm_master): runtime-rs running the VMM in-process.
struct ProcessSnapshot;
bool vmm_in_kata_shim(const ProcessSnapshot& s, const std::string& sandbox_id);

// `ctr` against the install's containerd, in hap's namespace "hap", then `args`.
Argv kata_ctr(const KataInstall& k, Argv args);
// Kills and deletes the container `id` (task, then container: its shim and
// VMM go with them). For teardown and a dead hapctl's leftovers; never throws.
void delete_kata_container(const KataInstall& k, const std::string& id) noexcept;

// ctr's --mount for a tmpfs at `dst` (ctr's syntax: options joined by ':').
std::string ctr_tmpfs_mount(const std::string& dst);

class KataRunner : public Runner {
public:
    KataRunner(const RunnerOptions& opts, const Workload& workload);
    ~KataRunner() override { teardown(); }

    std::string runtime() const override { return "kata"; }
    bool runs_kvm_guest() const override { return true; }
    std::string platform() const override { return platform_; }
    std::string network() const override { return "veth (hap netns) via Kata tc-redirect"; }
    std::string image() const override { return image_ref_; }
    // The configuration, and each binary and guest image Kata runs (shim,
    // VMM, guest kernel, initrd or image) with sha256 and origin.
    nlohmann::json settings() const override;

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;

private:
    Argv ctr(Argv args) const;

    RunnerOptions opts_;
    const Workload& workload_;
    std::string platform_, image_ref_;
    KataInstall install_;
    RootfsImage rootfs_;
    std::string id_, log_;
    pid_t vmm_pid_ = 0;  // from tasks(): killed at teardown if delete left it (Firecracker's jailer, Kata < 3.31)
    std::unique_ptr<NetnsLink> link_;
    bool created_ = false;
};

// What a discovered sandbox is as runner tasks: one entry per thread (pid =
// tid), so a vCPU thread and its VMM's main thread carry different roles.
struct SandboxView;
std::vector<SandboxTask> sandbox_view_tasks(const SandboxView& v);

}  // namespace hap
