#include "image_store.h"

#include <cstdlib>
#include <iostream>

#include "files.h"
#include "process.h"
#include "root_source.h"
#include "workload.h"

#ifndef HAP_SOURCE_DIR
#error "HAP_SOURCE_DIR must be defined by the build"
#endif

namespace hap {

std::string scripts_dir() {
    if (const char* d = std::getenv("HAP_SCRIPTS_DIR")) return d;
    return std::string(HAP_SOURCE_DIR) + "/scripts";
}

RootfsImage ensure_rootfs(const Workload& workload, const std::string& cache_dir) {
    if (workload.spec().root.kind != RootSpec::Kind::kDebianPackages)
        return ensure_unpacked_root(workload.spec(), inspect_root_source(workload.spec()), cache_dir);
    RootfsImage img;
    img.dir = cache_dir + "/images/" + workload.name();
    const std::string script = scripts_dir() + "/image/build-rootfs";
    if (!path_exists(script))
        throw UserError("image builder " + script + " not found", "set HAP_SCRIPTS_DIR to hap's scripts/ directory");
    if (auto st = make_dirs(cache_dir + "/images"); !st) throw UserError(st.error().describe());
    if (!path_exists(img.dir + "/key"))
        std::cerr << "hapctl: building the " << workload.name()
                  << " image from Debian packages (first time only, about a minute)\n";
    RunOptions o;
    o.timeout = std::chrono::minutes(20);
    Argv argv = {script, workload.name(), img.dir};
    for (const auto& p : workload.root_packages()) argv.push_back(p);
    auto r = run_command(argv, o);
    if (!r) throw UserError("cannot run " + script + ": " + r.error().describe());
    if (!r->succeeded())
        throw UserError("building the " + workload.name() + " image failed: " + r->summary(),
                        "run " + join(argv, " ") + " to see the whole log");
    img.rootfs = img.dir + "/rootfs";
    img.tarball = img.dir + "/rootfs.tar";
    auto key = read_file(img.dir + "/key");
    img.key = key ? trim(*key) : "";
    img.reference = "rootfs:" + img.key.substr(0, 12);
    return img;
}

}  // namespace hap
