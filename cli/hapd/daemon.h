// hapd: owns tracefs on this host (DESIGN.md, "The tracer daemon"). One
// capture session at a time, run by the engine hapctl runs in-process; other
// requests wait in a FIFO queue or, when they ask not to wait, get "busy" and
// how many sessions are ahead of them.
#pragma once

#include <string>

namespace hap::hapd {

struct DaemonOptions {
    std::string socket_path = "/run/hap/hapd.sock";
    std::string group = "hap";
    std::string state_dir = "/run/hap";
    std::string cache_dir = "/var/cache/hap";
    int max_connections = 64;
};

// Runs until SIGTERM/SIGINT; returns the process exit code. Throws UserError
// when it cannot start (not root, no tracefs, socket in use).
int run_daemon(const DaemonOptions& opts);

}  // namespace hap::hapd
