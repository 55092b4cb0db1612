// Facts about the host and kernel that every run records (DESIGN.md:
// "Store hosts and kernels", "each kernel's count of traceable functions").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace hap {

struct HostFacts {
    std::string machine_id, hostname;
    int64_t cpus = 0, memory_kb = 0;
};

struct KernelFacts {
    std::string release, version, arch;
    // Lines of available_filter_functions; nullopt when the kernel hides it.
    std::optional<int64_t> traceable_functions;
};

HostFacts read_host_facts();
KernelFacts read_kernel_facts(const std::string& tracing_dir);

}  // namespace hap
