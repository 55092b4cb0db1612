// The workload as a Docker container, through an engine: the user's own
// (--docker-host) or a private dockerd hap starts. `docker` uses the engine's
// default runtime (runc); `docker:NAME` one registered with it (runsc).
//
// Network: the container has no engine network (--network none) and hap
// puts a veth from its own client namespace into the container's namespace.
// Under runc that happens after start. gVisor copies the namespace's
// interfaces into its own netstack when the sandbox is created, so for
// docker:runsc a holder container (runc, `sleep infinity`) owns the namespace,
// gets the veth first, and the gVisor container joins it (--network
// container:HOLDER), the "pause container" of Kubernetes pods.
//
// `docker:runnc` is Nabla through Docker, as the Nabla project ran it
// (`docker run --runtime=runnc`): the image is a Nabla image (nabla_image.h;
// a directory is imported with its ENTRYPOINT/CMD), and runnc needs `eth0`
// with an address and a default route in the namespace at create, so it
// joins a holder's namespace as gVisor does, the veth named eth0 there.
#pragma once

#include <map>
#include <memory>

#include "image_store.h"
#include "netns_link.h"
#include "private_dockerd.h"
#include "runner.h"
#include "runsc_info.h"

namespace hap {

class DockerRunner : public Runner {
public:
    DockerRunner(const RunnerOptions& opts, const Workload& workload);
    ~DockerRunner() override;

    std::string runtime() const override { return engine_runtime_.empty() ? "docker" : "docker:" + engine_runtime_; }
    std::string platform() const override { return platform_; }
    std::string network() const override {
        if (is_gvisor()) return "sandbox (gVisor netstack) via veth, netns of a holder container";
        if (is_nabla()) return "veth as eth0 in a holder container's netns, bridged by runnc to its tap";
        return "none + veth (hap netns)";
    }
    // The tag it runs; for a user's image, tarball or directory root, that
    // root's own reference (its digest), which the tag only abbreviates.
    std::string image() const override { return stored_image_.empty() ? image_tag_ : stored_image_; }
    bool applies_process_context() const override { return !is_nabla(); }
    // {"versions": {"docker", "containerd", "runc", "docker-init", "runsc"}}
    // as the engine reports them (known after prepare()), and for
    // docker:runsc the binary's default platform.
    nlohmann::json settings() const override;

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;
    void shutdown() noexcept override;

    static constexpr const char* kOwnerLabel = "hap.owner";

private:
    bool is_gvisor() const { return engine_runtime_ == "runsc"; }
    bool is_nabla() const { return engine_runtime_ == "runnc"; }
    // The sandbox takes its interfaces from the namespace at create.
    bool needs_holder() const { return is_gvisor() || is_nabla(); }
    std::string nabla_image_tag();
    Argv docker(Argv args) const;
    std::string docker_ok(Argv args, const std::string& what, std::chrono::seconds timeout = std::chrono::seconds(120),
                          const std::string& hint = "") const;
    pid_t container_pid(const std::string& name) const;
    void remove_container(const std::string& name, const std::string& id) noexcept;

    RunnerOptions opts_;
    const Workload& workload_;
    std::string engine_runtime_, platform_, host_, image_tag_, stored_image_, name_, id_;
    std::string rootfs_;  // the root the image was imported from (its /etc/passwd names service.user)
    std::string holder_name_, holder_id_;  // docker:runsc only
    RunscInfo runsc_;                      // docker:runsc only
    std::string holder_image_;             // the workload's Debian root (holder's `sleep`)
    std::string nabla_spec_;               // docker:runnc: the image as given
    std::map<std::string, std::string> versions_;
    std::unique_ptr<PrivateDockerd> dockerd_;
    std::unique_ptr<NetnsLink> link_;
    pid_t init_pid_ = 0;  // runc: the container's init; runsc: the sandbox (runsc boot)
    bool container_ = false, holder_ = false;
};

}  // namespace hap
