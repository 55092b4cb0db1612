#include "tracefs_dir.h"

#include <vector>

#include "files.h"
#include "tracefs_shim.h"

namespace hap {

Expected<std::string> find_tracing_dir(const std::string& root) {
    const std::vector<std::string> places = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
    for (const auto& p : places)
        if (path_exists(root + p + "/tracing_on")) return root + p;
    return Error{"tracefs is not mounted at " + root + places[0] + " or " + root + places[1], ENOENT};
}

Expected<std::string> use_tracing_dir() {
    auto dir = find_tracing_dir();
    if (!dir) return dir;
    // libtracefs finds its own directory from the mount table otherwise; one
    // answer for both keeps instances and event formats where hap looks.
    if (hap_tracefs_set_dir(dir->c_str()) != 0) return errno_error("libtracefs refused tracing directory " + *dir);
    return dir;
}

}  // namespace hap
