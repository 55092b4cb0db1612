// `--runtime vm`: the workload's root (the same image every runtime uses)
// booted as a KVM guest by the distribution's QEMU, on a distribution kernel
// with hap's small initramfs (runners/vm_guest.h), in one of two shapes
// (runners/vm_shape.h): q35, Kata-QEMU's, and microvm, Firecracker's. This
// is how hap measures the hypervisor side where Kata and Firecracker are not
// installed; host tasks are found by the same discovery as Kata's
// (runners/vm_discovery.h): QEMU's threads (vmm), its vCPU threads (vcpu),
// vhost workers and virtiofsd (backend), kvm-pit/<pid> (vmm).
//
// The load reaches the guest as it reaches a container: from hap's client
// namespace over a veth into the sandbox namespace, where tc redirects the
// veth to the guest's tap (netns_link.h). QEMU runs in that namespace.
// Runs only where a probe shows KVM guests really run (kvm_guests.h); the
// constructor refuses elsewhere, naming the probe's finding.
#pragma once

#include <memory>

#include "image_store.h"
#include "netns_link.h"
#include "process.h"
#include "runner.h"
#include "vm_guest.h"
#include "vm_shape.h"

namespace hap {

class VmRunner : public Runner {
public:
    VmRunner(const RunnerOptions& opts, const Workload& workload);
    ~VmRunner() override { teardown(); }

    std::string runtime() const override { return "vm"; }
    bool runs_kvm_guest() const override { return true; }
    // QEMU's -smp: one thread per vCPU, all made at boot.
    int guest_vcpus() const override { return shape_.cpus; }
    std::string platform() const override { return shape_.machine; }
    std::string network() const override { return shape_.network(); }
    std::string image() const override { return rootfs_.reference; }
    bool applies_process_context() const override { return true; }

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override { return endpoint_through(link_.get(), workload_.port()); }
    std::vector<SandboxTask> tasks() override;
    std::string exited_why() override;
    std::string last_output() override;
    nlohmann::json settings() const override;
    void teardown() noexcept override;

private:
    // The workload's command, user, environment and working directory as the guest applies them.
    GuestProcess guest_process() const;
    void start_virtiofsd();
    void keep_logs() noexcept;

    RunnerOptions opts_;
    const Workload& workload_;
    VmShape shape_;
    std::string qemu_bin_, qemu_version_, virtiofsd_bin_, machine_extra_;
    GuestKernel kernel_;
    std::string initramfs_, block_image_;
    RootfsImage rootfs_;
    std::string id_, dir_;
    unsigned vsock_cid_ = 0;
    std::unique_ptr<NetnsLink> link_;
    ChildProcess qemu_, virtiofsd_;
};

// Where each VM sandbox keeps its files (console, initrd, sockets): one
// directory per sandbox id hap-<owner pid>-<n>, so leftovers.cpp can find
// what a killed hapctl left.
std::string vm_state_root(const std::string& state_dir);

// The virtiofsd this host has ("" when none): in PATH, or QEMU's own
// (/usr/lib/qemu/virtiofsd, Debian 12) or the Rust one (/usr/libexec).
std::string find_virtiofsd();

}  // namespace hap
