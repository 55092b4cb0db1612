#include "private_dockerd.h"

#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>

#include <thread>

#include "files.h"
#include "image_store.h"
#include "interrupt.h"
#include "nabla_runner.h"

namespace hap {

PrivateDockerd::PrivateDockerd(const std::string& state_dir, const std::string& data_root)
    : dir_(dir_prefix(state_dir) + std::to_string(::getpid())), socket_(dir_ + "/docker.sock"), data_root_(data_root) {}

void PrivateDockerd::start() {
    if (!find_program("dockerd")) throw UserError("dockerd not found", "install docker.io (scripts/setup does)");
    for (const auto& d : {dir_ + "/exec", data_root_})
        if (auto st = make_dirs(d); !st) throw UserError(st.error().describe());
    const std::string log = dir_ + "/dockerd.log";
    Argv argv = {"dockerd", "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
                 "--data-root", data_root_, "--exec-root", dir_ + "/exec", "--pidfile", dir_ + "/dockerd.pid",
                 "-H", host()};
    if (auto runsc = runsc_runtime_path()) {
        argv.push_back("--add-runtime");
        argv.push_back("runsc=" + *runsc);
    }
    if (auto runnc = runnc_runtime_path()) {
        argv.push_back("--add-runtime");
        argv.push_back("runnc=" + *runnc);
    }
    SpawnOptions so;
    so.stdout_path = so.stderr_path = log;
    auto child = spawn_process(argv, so);
    if (!child) throw UserError("cannot start dockerd: " + child.error().describe());
    daemon_ = std::move(*child);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
        if (!daemon_.running()) break;
        RunOptions o;
        o.timeout = std::chrono::seconds(5);
        auto r = run_command({"docker", "-H", host(), "version", "--format", "{{.Server.Version}}"}, o);
        if (r && r->succeeded()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    const std::string last = last_line_of_file(log);
    stop();
    throw UserError("the private dockerd did not come up: " + (last.empty() ? "no output" : last), "log: " + log);
}

std::optional<std::string> PrivateDockerd::runsc_runtime_path() {
    if (!find_program("runsc")) return std::nullopt;
    // runsc behind a wrapper that hides /proc/sys/net from it (gVisor #10704),
    // so gVisor's own netstack starts in the namespace Docker hands it.
    const std::string wrapper = scripts_dir() + "/docker/runsc-netns-mask";
    if (::access(wrapper.c_str(), X_OK) != 0) return std::nullopt;
    return wrapper;
}

std::optional<std::string> PrivateDockerd::runnc_runtime_path() {
    const std::string runnc = find_nabla_install().runnc;
    if (runnc.empty()) return std::nullopt;
    return runnc;
}

void PrivateDockerd::stop() noexcept {
    // SIGTERM lets dockerd stop its containers and containerd before exiting.
    daemon_.stop(std::chrono::seconds(30));
}

}  // namespace hap
