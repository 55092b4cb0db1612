// Workload roots in hap's cache: built locally from Debian packages by
// scripts/image/build-rootfs (no registry is reachable here), or unpacked
// from a user's image, tarball or directory (root_source.h).
#pragma once

#include <string>

namespace hap {

class Workload;

struct RootfsImage {
    std::string dir;       // OUTDIR of build-rootfs
    std::string rootfs;    // dir/rootfs
    std::string tarball;   // dir/rootfs.tar, for docker import
    std::string key;       // content key (hex), names the Docker image tag
    std::string reference; // what runs.image keeps: "rootfs:KEY12" (Debian roots),
                           // "image:sha256:DIGEST", "tarball:sha256:HEX", "directory:PATH@KEY12"
};

// Builds (first time, a minute or so) or finds the cached root of
// `workload`, or unpacks the image, tarball or directory its file names
// (checked again first: it may have changed since the run started). Throws
// UserError with the builder's last words when it fails.
RootfsImage ensure_rootfs(const Workload& workload, const std::string& cache_dir);

// Directory of hap's scripts: $HAP_SCRIPTS_DIR, else the source tree's.
std::string scripts_dir();

}  // namespace hap
