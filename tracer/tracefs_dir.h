// Where this host's tracefs is. Since 4.1 tracefs is its own filesystem,
// mounted at /sys/kernel/tracing; older setups (and some distributions still)
// reach it through debugfs, where the kernel automounts it at
// /sys/kernel/debug/tracing. hap looks in both, in that order, and tells
// libtracefs to use the one it found so instances and formats agree.
#pragma once

#include <string>

#include "error.h"

namespace hap {

inline constexpr const char* kTracefsMountHint =
    "mount -t tracefs nodev /sys/kernel/tracing (scripts/setup does), or mount debugfs at /sys/kernel/debug; "
    "a kernel without CONFIG_FTRACE has neither";

// The tracing directory below `root` ("" = this host; tests pass a directory
// laid out like one): root/sys/kernel/tracing, else
// root/sys/kernel/debug/tracing. A directory counts only when it holds
// `tracing_on`: the empty mount point sysfs always has is not tracefs.
// Neither: ENOENT with one line naming both paths (kTracefsMountHint says how
// to fix it).
Expected<std::string> find_tracing_dir(const std::string& root = "");

// find_tracing_dir() on this host, then libtracefs pointed at the result.
Expected<std::string> use_tracing_dir();

}  // namespace hap
