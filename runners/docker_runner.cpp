#include "docker_runner.h"

#include <unistd.h>

#include <atomic>

#include "files.h"
#include "procfs.h"

namespace hap {
namespace {
std::atomic<int> g_seq{100};  // apart from the OCI runner's sequence
}

DockerRunner::DockerRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload), platform_(opts.platform), host_(opts.docker_host) {
    if (auto colon = opts.runtime.find(':'); colon != std::string::npos) engine_runtime_ = opts.runtime.substr(colon + 1);
    if (!find_program("docker")) throw UserError("docker client not found", "install docker.io (scripts/setup does)");
    if (engine_runtime_ == "runsc")
        // Docker hands runsc the namespace at start, and Debian's runsc takes
        // every namespace for the root one on 6.x kernels (gVisor #10704);
        // hap's workaround hides /proc/sys/net from `runsc run`, which
        // Docker's shim does not let it do.
        throw UserError("gVisor through Docker does not start on this runsc and kernel (gVisor issue #10704)",
                        "use --runtime runsc: gVisor on an OCI bundle, with its own netstack", kExitUsage);
    if (!platform_.empty())
        throw UserError("--platform is not passed through Docker here", "use --runtime runsc --platform " + platform_,
                        kExitUsage);
}

DockerRunner::~DockerRunner() {
    teardown();
    shutdown();
}

Argv DockerRunner::docker(Argv args) const {
    Argv argv = {"docker", "-H", host_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

std::string DockerRunner::docker_ok(Argv args, const std::string& what, std::chrono::seconds timeout) const {
    RunOptions o;
    o.timeout = timeout;
    auto r = run_command(docker(std::move(args)), o);
    if (!r) throw UserError("cannot run docker: " + r.error().describe());
    if (!r->succeeded()) throw UserError(what + " failed: " + r->summary());
    return trim(r->out);
}

void DockerRunner::prepare() {
    RootfsImage img = ensure_rootfs(workload_, opts_.cache_dir);
    if (host_.empty()) {
        dockerd_ = std::make_unique<PrivateDockerd>(opts_.state_dir, opts_.cache_dir + "/docker");
        dockerd_->start();
        host_ = dockerd_->host();
    }
    image_tag_ = "hap/" + workload_.name() + ":" + img.key.substr(0, 12);
    RunOptions o;
    auto have = run_command(docker({"image", "inspect", "--format", "{{.Id}}", image_tag_}), o);
    if (!have || !have->succeeded()) {
        // The same root the OCI runner uses, so both see the same binaries.
        docker_ok({"import", img.tarball, image_tag_}, "docker import of " + img.tarball, std::chrono::seconds(600));
    }
}

void DockerRunner::launch() {
    const int seq = g_seq++;
    name_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    // --network none: this host's private engine has no bridge; hap adds a
    // veth from its own client namespace once the container exists.
    Argv args = {"run", "--detach", "--name", name_, "--label", std::string(kOwnerLabel) + "=" + std::to_string(::getpid()),
                 "--network", "none", "--read-only"};
    for (const auto& d : workload_.scratch_dirs()) {
        args.push_back("--tmpfs");
        args.push_back(d);
    }
    args.push_back("--tmpfs");
    args.push_back("/run");
    if (!engine_runtime_.empty()) {
        args.push_back("--runtime");
        args.push_back(engine_runtime_);
    }
    args.push_back(image_tag_);
    for (const auto& a : workload_.command()) args.push_back(a);
    container_ = true;
    docker_ok(args, "docker run of " + workload_.name() + (engine_runtime_.empty() ? "" : " with " + engine_runtime_));
    std::string pid = docker_ok({"inspect", "--format", "{{.State.Pid}}", name_}, "docker inspect");
    init_pid_ = std::atoi(pid.c_str());
    if (init_pid_ <= 0) throw UserError("docker reports no pid for container " + name_);
    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_into_process(init_pid_);
}

Endpoint DockerRunner::endpoint() const { return Endpoint{link_ ? link_->client_ns() : "", kWorkloadAddress, workload_.port()}; }

std::vector<SandboxTask> DockerRunner::tasks() {
    std::vector<SandboxTask> out;
    out.push_back(SandboxTask{init_pid_, "workload", task_comm(init_pid_)});
    for (pid_t p : descendants(init_pid_)) out.push_back(SandboxTask{p, "workload", task_comm(p)});
    // The shim that holds the container's stdio and reaps it works for it too.
    if (auto parent = parent_pid(init_pid_); parent && *parent > 1) {
        std::string comm = task_comm(*parent);
        if (comm.rfind("containerd-shim", 0) == 0) out.push_back(SandboxTask{*parent, "runtime", comm});
    }
    return out;
}

void DockerRunner::teardown() noexcept {
    if (container_) {
        RunOptions o;
        o.timeout = std::chrono::seconds(60);
        (void)run_command(docker({"rm", "--force", name_}), o);
        container_ = false;
    }
    if (link_) link_->teardown();
}

void DockerRunner::shutdown() noexcept {
    if (dockerd_) {
        dockerd_->stop();
        (void)run_command({"rm", "-rf", "--one-file-system", dockerd_->dir()});
        dockerd_.reset();
    }
}

}  // namespace hap
