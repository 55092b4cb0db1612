// A Docker engine of hap's own, for hosts where none runs (MACHINE-NOTES.md):
// its own socket, exec root and pid file under /run/hap/dockerd-<owner pid>,
// gVisor registered as runtime "runsc" (through scripts/docker/runsc-netns-mask,
// see there), stopped by pid when the run ends.
// Images live in a persistent data root so they are imported once.
#pragma once

#include <optional>
#include <string>

#include "process.h"

namespace hap {

class PrivateDockerd {
public:
    PrivateDockerd(const std::string& state_dir, const std::string& data_root);
    ~PrivateDockerd() { stop(); }
    // Starts dockerd and waits until it answers; throws UserError with the
    // last line of its log when it does not.
    void start();
    void stop() noexcept;
    std::string host() const { return "unix://" + socket_; }
    const std::string& dir() const { return dir_; }

    // What is registered as runtime "runsc": hap's wrapper script; nullopt
    // without runsc or without the script (then "runsc" is not registered).
    static std::optional<std::string> runsc_runtime_path();
    // What is registered as runtime "runnc" (Nabla): runnc where its
    // installer put it; nullopt without one.
    static std::optional<std::string> runnc_runtime_path();

    static std::string dir_prefix(const std::string& state_dir) { return state_dir + "/dockerd-"; }

private:
    std::string dir_, socket_, data_root_;
    ChildProcess daemon_;
};

}  // namespace hap
