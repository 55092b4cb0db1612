// Nabla containers (`--runtime nabla`): a unikernel run by the solo5 tender,
// as the Nabla project documents it:
//   --platform runnc (default): runnc registered as an OCI runtime with the
//     user's Docker engine (`dockerd --add-runtime runnc=/usr/local/bin/runnc`,
//     given with --docker-host; hap's private dockerd registers only runsc),
//     `docker run -d --runtime=runnc --network none IMAGE` with a nablact/*
//     image loaded locally (`docker load`; no registry is reached).
//   --platform spt | hvt: the solo5 tender directly on a unikernel binary
//     ($HAP_NABLA_UNIKERNEL, a .spt or .hvt file built for the workload):
//     `solo5-spt --net:service=TAP UNIKERNEL ARGS` / `solo5-hvt ...`.
// Roles (vm_discovery.h): the spt tender (nabla-run / solo5-spt) runs the
// unikernel as a seccomp'd host process: workload. solo5-hvt is the
// VMM-equivalent (one thread, KVM_RUN included): vmm. runnc, runnc-cont and
// the containerd shim: runtime.
// Not installable on the development hosts: prepare() says what is missing.
#pragma once

#include <memory>

#include "netns_link.h"
#include "process.h"
#include "runner.h"

namespace hap {

struct NablaInstall {
    std::string runnc, tender_spt, tender_hvt;  // "" where not found
};
NablaInstall find_nabla_install();

class NablaRunner : public Runner {
public:
    NablaRunner(const RunnerOptions& opts, const Workload& workload);
    ~NablaRunner() override { teardown(); }

    std::string runtime() const override { return "nabla"; }
    std::string platform() const override { return platform_; }
    std::string network() const override { return platform_ == "runnc" ? "none + veth (hap netns)" : "tap (hap netns)"; }
    std::string image() const override { return image_; }

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;

private:
    Argv docker(Argv args) const;

    RunnerOptions opts_;
    const Workload& workload_;
    std::string platform_, image_, name_, tender_;
    NablaInstall install_;
    std::unique_ptr<NetnsLink> link_;
    ChildProcess child_;  // the tender, for spt / hvt
    pid_t init_pid_ = 0;
    bool container_ = false;
};

}  // namespace hap
