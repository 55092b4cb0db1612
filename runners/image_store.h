// Workload images built locally from Debian packages (no registry is
// reachable here): scripts/image/build-rootfs debootstraps and caches them.
#pragma once

#include <string>

namespace hap {

class Workload;

struct RootfsImage {
    std::string dir;       // OUTDIR of build-rootfs
    std::string rootfs;    // dir/rootfs
    std::string tarball;   // dir/rootfs.tar, for docker import
    std::string key;       // content key, names the Docker image tag
};

// Builds (first time, a minute or so) or finds the cached root of `workload`.
// Throws UserError with the builder's last words when it fails.
RootfsImage ensure_rootfs(const Workload& workload, const std::string& cache_dir);

// Directory of hap's scripts: $HAP_SCRIPTS_DIR, else the source tree's.
std::string scripts_dir();

}  // namespace hap
