// The baseline: the workload as a plain host process, no sandbox. It runs
// the same command as in the image, from the host's own packages, in a
// network namespace hap creates (reached by the same veth as the OCI
// runners), with the same writable scratch directories (/tmp, /run and the
// workload's own) as private tmpfs mounts, so it neither writes to the
// host's disk nor meets a host service's files.
#pragma once

#include <memory>

#include "netns_link.h"
#include "process.h"
#include "runner.h"

namespace hap {

class NativeRunner : public Runner {
public:
    NativeRunner(const RunnerOptions& opts, const Workload& workload);
    ~NativeRunner() override { teardown(); }

    std::string runtime() const override { return "native"; }
    std::string platform() const override { return ""; }
    std::string network() const override { return "veth"; }
    std::string image() const override { return "host"; }
    bool applies_process_context() const override { return true; }

    // Checks that the host has the workload's Debian packages and binary.
    void prepare() override;
    void launch() override;
    Endpoint endpoint() const override;
    std::vector<SandboxTask> tasks() override;
    void teardown() noexcept override;

private:
    RunnerOptions opts_;
    const Workload& workload_;
    std::unique_ptr<NetnsLink> link_;
    ChildProcess child_;
    std::string log_;
};

// Debian packages of `packages` that dpkg does not list as installed.
std::vector<std::string> missing_host_packages(const std::vector<std::string>& packages);

}  // namespace hap
