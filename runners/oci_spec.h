// An OCI runtime spec (config.json) for one sandboxed workload: the defaults
// `runc spec` writes, with a read-only shared root, our network namespace and
// a known cgroup path so the workload's tasks can be found.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "process.h"

namespace hap {

struct OciSpecParams {
    Argv args;
    std::string rootfs;        // absolute; shared between runs, so read-only
    bool readonly_root = true; // false only for a root the bundle owns (a copy)
    std::string cwd = "/";
    uint32_t uid = 0, gid = 0;  // the process's; scratch tmpfs belong to them too
    std::vector<std::string> extra_env;  // "K=V", after PATH and HOME
    std::string netns_path;    // "" = a new, empty network namespace
    std::string cgroups_path;  // e.g. /hap/<id>
    std::string hostname = "hap";
    std::vector<std::string> scratch_dirs;  // writable tmpfs mounts on the read-only root
};

nlohmann::json make_oci_spec(const OciSpecParams& p);

}  // namespace hap
