// A workload root given as an image, a tarball or a directory (root.image,
// root.tarball, root.directory of a workload file): checked before anything
// starts, then unpacked once per content key into hap's cache by
// scripts/image/unpack-root (skopeo copies an image to an OCI layout, umoci
// unpacks it) and used read-only from there, as hap's own Debian roots are.
#pragma once

#include <string>

#include "workload_spec.h"

namespace hap {

struct RootfsImage;

// What is known of a root source without unpacking it.
struct RootSourceFacts {
    std::string key;           // images: the config digest's hex (Docker's image ID); tarballs: the file's sha256;
                               // directories: "" (the unpacker keys them by their listing)
    std::string architecture;  // images: the config's GOARCH name ("amd64"); else ""
    std::string os;            // images: "linux"; else ""
};

// Checks a non-Debian root of `spec`: the path exists and, for an image, that
// skopeo can read its config (`skopeo inspect --config --raw`) and that it is a
// linux image for this host's architecture. Throws UserError (exit 2)
// "ORIGIN:LINE: root.FIELD: ..." otherwise. Debian-package roots: returns {}.
RootSourceFacts inspect_root_source(const WorkloadSpec& spec);

// This host's architecture as OCI image configs name it (Go's GOARCH:
// x86_64 -> amd64, aarch64 -> arm64; others as uname -m says).
std::string host_image_architecture();

// Unpacks (first time) or finds the cached root of a non-Debian root source.
// `facts` from inspect_root_source. Throws UserError with the unpacker's
// last words when it fails.
RootfsImage ensure_unpacked_root(const WorkloadSpec& spec, const RootSourceFacts& facts, const std::string& cache_dir);

}  // namespace hap
