// Nabla containers (`--runtime nabla`): a rumprun unikernel run by the solo5
// tender, as the Nabla project ships it (runnc's installer puts runnc and the
// spt tender `nabla-run` in /opt/runnc/bin and /usr/local/bin):
//   --platform runnc (default): runnc on an OCI bundle, no engine, as runc is
//     run. runnc needs `eth0` with an IPv4 address and a default route in the
//     container's network namespace at create; it bridges eth0 with a tap of
//     its own, moves the address into the unikernel's rumprun config, makes
//     an ISO of the rootfs, and its init execs `nabla-run` (no pid or mount
//     namespace, no cgroup: the tender is a plain host process).
//   --platform spt: the spt tender run by hap directly, as runnc would run it:
//     a tap in hap's sandbox namespace (tc-redirected to the veth), the image
//     root as an ISO, the rumprun JSON config (rumprun_config.h).
//   --platform hvt: the same with solo5-hvt and the image's .hvt build of the
//     unikernel: a KVM guest, refused where the KVM probe says guests do not run.
// Through Docker it is `--runtime docker:runnc` (docker_runner.h).
// Roles (vm_discovery.h): the spt tender runs the unikernel as a seccomp'd
// host process: workload. solo5-hvt's one thread is the VMM and runs the
// vCPU: kvm_exit (always captured for hvt) makes it vcpu. runnc, while it
// runs: runtime.
#pragma once

#include <memory>

#include "nabla_image.h"
#include "netns_link.h"
#include "process.h"
#include "runner.h"

namespace hap {

// What a Nabla install provides; "" where not found. Looked up in PATH,
// then where runnc's installer puts them (/usr/local/bin, /opt/runnc/bin).
struct NablaInstall {
    std::string runnc, tender_spt, tender_hvt, genisoimage;
    // One line: each part and where it was found or looked for.
    std::string describe() const;
};
NablaInstall find_nabla_install();
inline constexpr const char* kNablaInstallDirs = "PATH, /usr/local/bin and /opt/runnc/bin";

// Where each Nabla sandbox keeps its files (ISO, bundle, runnc's state, the
// tender's log): state_dir/nabla/hap-<owner pid>-<n>, so leftovers.cpp can
// find what a killed hapctl left.
std::string nabla_state_root(const std::string& state_dir);

// Removes the Nabla sandbox `id` kept in `dir` (nabla_state_root/id):
// runnc's container when runnc made one (DIR/root is its --root), every
// process whose argv names DIR (a tender names its ISO there), then DIR.
// For teardown and for a dead hapctl's leftovers; never throws.
void remove_nabla_sandbox(const std::string& dir, const std::string& id) noexcept;

// The tender runnc runs: compiled into runnc (llruntimes/nabla/exec_handler.go).
inline constexpr const char* kRunncTender = "/opt/runnc/bin/nabla-run";

// Container ids for runnc: "hap-<pid>-<seq>", the sequence zero-padded to
// 12 characters at least (runnc panics on short ids).
std::string nabla_container_id(pid_t owner, int seq);

class NablaRunner : public Runner {
public:
    NablaRunner(const RunnerOptions& opts, const Workload& workload);
    ~NablaRunner() override { teardown(); }

    std::string runtime() const override { return "nabla"; }
    bool runs_kvm_guest() const override { return platform_ == "hvt"; }
    std::string platform() const override { return platform_; }
    std::string network() const override;
    std::string image() const override;

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override { return endpoint_through(link_.get(), workload_.port()); }
    std::vector<SandboxTask> tasks() override;
    std::string exited_why() override;
    std::string last_output() override;
    // {"image": spec, "unikernel": path, "tender_argv": [...], "memory_mb",
    //  "binaries": [binary_origin of the tender, runnc and the unikernel]}
    nlohmann::json settings() const override;
    void teardown() noexcept override;

private:
    void launch_tender();
    void launch_runnc();
    Argv runnc(Argv args) const;
    void keep_log() noexcept;

    RunnerOptions opts_;
    const Workload& workload_;
    std::string platform_;
    NablaInstall install_;
    NablaImage image_;
    std::string unikernel_;  // the file the tender loads (.nabla, or .hvt for hvt)
    std::string id_, dir_, log_;
    Argv tender_argv_;
    std::unique_ptr<NetnsLink> link_;
    ChildProcess tender_;    // spt / hvt: the tender itself
    pid_t init_pid_ = 0;     // runnc: the container's process (runnc init, exec'd into nabla-run)
};

}  // namespace hap
