// Runs the workload directly on an OCI bundle with runc, crun or runsc (no
// engine): the cleanest view of what the runtime itself puts on the host.
#pragma once

#include <memory>

#include "image_store.h"
#include "netns_link.h"
#include "runsc_info.h"
#include "runner.h"

namespace hap {

class OciRunner : public Runner {
public:
    OciRunner(const RunnerOptions& opts, const Workload& workload, std::string binary);
    ~OciRunner() override { teardown(); }

    std::string runtime() const override { return runtime_; }
    std::string platform() const override { return platform_; }
    std::string network() const override;
    std::string image() const override { return image_.reference; }
    bool applies_process_context() const override { return true; }
    // {"runtime_binary": path, "versions": {"runsc": "0.0~20240729.0"}} and,
    // for gVisor, the binary's default platform and all it has.
    nlohmann::json settings() const override;

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;

    // Container ids are hap-<owner pid>-<seq>; leftovers.cpp relies on it.
    static std::string container_prefix();

private:
    Argv runtime_argv(Argv args) const;
    bool is_gvisor() const { return runtime_ == "runsc"; }

    RunnerOptions opts_;
    const Workload& workload_;
    std::string runtime_, binary_, platform_, version_;
    RunscInfo runsc_;  // gVisor only
    RootfsImage image_;
    std::string id_, bundle_dir_, root_dir_;
    std::unique_ptr<NetnsLink> link_;
    pid_t init_pid_ = 0;
    bool created_ = false;
};

// Where every OCI runtime keeps the state of hap's containers: one --root
// per container, so its processes can be told apart by command line.
std::string oci_state_root(const std::string& state_dir);

// What `runsc run` must not see for its root-namespace check (see .cpp).
std::vector<std::string> gvisor_netns_check_mask();

}  // namespace hap
