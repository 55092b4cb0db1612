// hapctl lab: the same measurement inside a QEMU VM on a chosen kernel
// package, for hosts whose kernel cannot trace functions and for kernel-
// upgrade CI. The VM plumbing is shell (scripts/lab/run); this front end
// only checks its arguments and hands over, so signals reach the script.
#include <unistd.h>

#include <cstring>
#include <iostream>

#include "command.h"
#include "error.h"
#include "files.h"
#include "image_store.h"

namespace hap::cli {

int cmd_lab(const std::vector<std::string>& args) {
    const std::string script = scripts_dir() + "/lab/run";
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::cout << "usage: hapctl lab run [LAB OPTIONS] -- HAPCTL COMMAND [ARGS...]\n\n"
                     "Boots Debian's stock kernel under QEMU (KVM when this host can run guests, else TCG\n"
                     "with SVM exposed so the guest has KVM), runs the hapctl command inside, and brings\n"
                     "its database back. Example:\n"
                     "  hapctl lab run -- measure --runtime runc --workload redis --mode function_graph --reps 3\n\n"
                     "A runtime Debian does not ship (Nabla, Kata) is brought in as a root-shaped tree with\n"
                     "--install DIR (copied over the guest's root; each binary's origin is stored with the run):\n"
                     "  hapctl lab run --install /srv/nabla-prefix -- measure --runtime nabla --platform spt \\\n"
                     "      --workload redis --nabla-image /opt/nabla-images/redis --mode function_graph\n\n"
                     "Lab options (see `hapctl lab run --help`): --kernel VERSION|PATH.deb|DIR, --out DIR,\n"
                     "--mem MB, --cpus N, --timeout SECONDS, --install DIR, --env NAME=VALUE, --script FILE, --keep.\n";
        return args.empty() ? kExitUsage : kExitOk;
    }
    if (args[0] != "run")
        throw UserError("unknown lab command '" + args[0] + "'", "hapctl lab run [options] -- COMMAND ...", kExitUsage);
    if (!path_exists(script))
        throw UserError("lab script " + script + " not found", "set HAP_SCRIPTS_DIR to hap's scripts/ directory");
    std::vector<std::string> argv = {script};
    argv.insert(argv.end(), args.begin() + 1, args.end());
    std::vector<char*> c;
    for (auto& a : argv) c.push_back(a.data());
    c.push_back(nullptr);
    ::execv(script.c_str(), c.data());
    throw UserError("cannot run " + script + ": " + std::strerror(errno));
}

}  // namespace hap::cli
