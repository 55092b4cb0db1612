#include "docker_runner.h"
#include "kata_runner.h"
#include "nabla_runner.h"
#include "native_runner.h"
#include "oci_runner.h"
#include "runner.h"
#include "vm_runner.h"

namespace hap {

std::vector<std::string> known_runtimes() {
    return {"runc", "crun", "runsc", "gvisor", "docker", "docker:NAME", "native", "vm", "kata", "nabla"};
}

std::unique_ptr<Runner> make_runner(const RunnerOptions& in, const Workload& workload) {
    RunnerOptions opts = in;
    if (opts.runtime == "gvisor") opts.runtime = "runsc";
    if (opts.runtime == "runc" || opts.runtime == "crun" || opts.runtime == "runsc") {
        auto bin = find_program(opts.runtime);
        if (!bin)
            throw UserError(opts.runtime + " is not installed (not found in PATH)",
                            "install it with scripts/setup (Debian package " + opts.runtime + ")");
        return std::make_unique<OciRunner>(opts, workload, *bin);
    }
    if (opts.runtime == "native") return std::make_unique<NativeRunner>(opts, workload);
    if (opts.runtime == "docker" || opts.runtime.rfind("docker:", 0) == 0) return std::make_unique<DockerRunner>(opts, workload);
    if (opts.runtime == "vm") return std::make_unique<VmRunner>(opts, workload);
    if (opts.runtime == "kata") return std::make_unique<KataRunner>(opts, workload);
    if (opts.runtime == "nabla") return std::make_unique<NablaRunner>(opts, workload);
    std::string known;
    for (const auto& r : known_runtimes()) known += (known.empty() ? "" : ", ") + r;
    throw UserError("unknown runtime '" + opts.runtime + "'", "known runtimes: " + known, kExitUsage);
}

}  // namespace hap
