// Kata Containers (`--runtime kata`, `--platform qemu|firecracker`): the
// workload in a VM through containerd's shim v2, as Kata documents it:
//   ctr -a SOCK -n hap run --runtime io.containerd.kata.v2
//       --runtime-config-path <Kata configuration-{qemu,fc}.toml>
//       --with-ns network:/var/run/netns/<hap ns> --rootfs ROOT -d ID CMD...   (QEMU: rootfs over virtio-fs)
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
    std::string shim;        // containerd-shim-kata-v2
    std::string config;      // configuration-<platform>.toml
    std::string ctr;         // containerd's client
    std::string containerd;  // socket
};

// Where a Kata install keeps things (release tarball under /opt/kata,
// distribution packages under /usr); "" where nothing was found.
KataInstall find_kata_install(const std::string& platform);

class KataRunner : public Runner {
public:
    KataRunner(const RunnerOptions& opts, const Workload& workload);
    ~KataRunner() override { teardown(); }

    std::string runtime() const override { return "kata"; }
    std::string platform() const override { return platform_; }
    std::string network() const override { return "veth (hap netns) via Kata tc-redirect"; }
    std::string image() const override { return image_ref_; }

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
    std::string id_;
    std::unique_ptr<NetnsLink> link_;
    bool created_ = false;
};

// What a discovered sandbox is as runner tasks: one entry per thread (pid =
// tid), so a vCPU thread and its VMM's main thread carry different roles.
struct SandboxView;
std::vector<SandboxTask> sandbox_view_tasks(const SandboxView& v);

}  // namespace hap
