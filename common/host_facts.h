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
    // Lines of available_filter_functions; nullopt when the kernel hides it
    // or when it was not counted.
    std::optional<int64_t> traceable_functions;
};

HostFacts read_host_facts();
// `count_functions`: also count the traceable functions. The kernel makes
// that file by looking up every ftrace site's symbol, which can cost seconds
// of system time (6 s on a TCG guest), so runs that trace no function skip it.
KernelFacts read_kernel_facts(const std::string& tracing_dir, bool count_functions = true);

}  // namespace hap
