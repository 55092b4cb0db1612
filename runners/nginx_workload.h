// nginx: a static page, port 80, loaded by wrk.
#pragma once

#include "wrk_load.h"

namespace hap {

class NginxWorkload : public HttpWorkload {
public:
    std::string name() const override { return "nginx"; }
    std::vector<std::string> debian_packages() const override { return {"nginx"}; }
    // Debian's own configuration, in the foreground: it already fits a
    // read-only root once the paths it writes are scratch (below). It serves
    // Debian's welcome page (/var/www/html/index.nginx-debian.html, 615 bytes)
    // on port 80, master plus one worker per CPU, with its access log.
    Argv command() const override { return {"/usr/sbin/nginx", "-g", "daemon off;"}; }
    int port() const override { return 80; }
    // pid file in /run (always tmpfs); logs; client body and proxy temp paths.
    std::vector<std::string> scratch_dirs() const override { return {"/var/log/nginx", "/var/lib/nginx"}; }
};

}  // namespace hap
