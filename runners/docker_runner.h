// The workload as a Docker container, through an engine: the user's own
// (--docker-host) or a private dockerd hap starts. `docker` uses the engine's
// default runtime (runc); `docker:NAME` one registered with it (runsc).
#pragma once

#include <memory>

#include "image_store.h"
#include "netns_link.h"
#include "private_dockerd.h"
#include "runner.h"

namespace hap {

class DockerRunner : public Runner {
public:
    DockerRunner(const RunnerOptions& opts, const Workload& workload);
    ~DockerRunner() override;

    std::string runtime() const override { return engine_runtime_.empty() ? "docker" : "docker:" + engine_runtime_; }
    std::string platform() const override { return platform_; }
    std::string network() const override { return "none + veth (hap netns)"; }
    std::string image() const override { return image_tag_; }

    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;
    void shutdown() noexcept override;

    static constexpr const char* kOwnerLabel = "hap.owner";

private:
    Argv docker(Argv args) const;
    std::string docker_ok(Argv args, const std::string& what, std::chrono::seconds timeout = std::chrono::seconds(120)) const;

    RunnerOptions opts_;
    const Workload& workload_;
    std::string engine_runtime_, platform_, host_, image_tag_, name_;
    std::unique_ptr<PrivateDockerd> dockerd_;
    std::unique_ptr<NetnsLink> link_;
    pid_t init_pid_ = 0;
    bool container_ = false;
};

}  // namespace hap
