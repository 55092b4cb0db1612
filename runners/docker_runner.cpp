#include "docker_runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>

#include "binary_origin.h"
#include "files.h"
#include "leftovers.h"
#include "nabla_image.h"
#include "nabla_runner.h"
#include "procfs.h"
#include "program_version.h"
#include "sandbox_task_list.h"

namespace hap {
namespace {
std::atomic<int> g_seq{100};  // apart from the OCI runner's sequence

// gVisor's sandbox (`runsc boot`, comm runsc-sandbox) and gofer are runsc
// re-executed with every global flag, the bundle and the container id on
// their command line.
bool is_gvisor_runtime_process(const std::string& cmd) {
    return cmd.rfind("runsc-sandbox", 0) == 0 || cmd.rfind("runsc-gofer", 0) == 0 ||
           cmd.find(" boot ") != std::string::npos || cmd.find(" gofer ") != std::string::npos;
}

// The value of --platform=X on a runsc command line, "" if absent.
std::string platform_flag(const std::string& cmd) {
    const std::string flag = "--platform=";
    auto at = cmd.find(flag);
    if (at == std::string::npos) return "";
    at += flag.size();
    return cmd.substr(at, cmd.find(' ', at) - at);
}
}  // namespace

DockerRunner::DockerRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload), platform_(opts.platform), host_(opts.docker_host) {
    if (auto colon = opts.runtime.find(':'); colon != std::string::npos) engine_runtime_ = opts.runtime.substr(colon + 1);
    if (!find_program("docker")) throw UserError("docker client not found", "install docker.io (scripts/setup does)");
    if (is_gvisor()) {
        // The engine runs runsc with the binary's own default platform (hap's
        // private dockerd registers it without --platform): systrap for
        // runsc since 2023, ptrace before.
        auto runsc = find_program("runsc");
        if (!runsc)
            throw UserError("runsc is not installed (not found in PATH)", "install it with scripts/setup (Debian package runsc)");
        runsc_ = read_runsc_info(*runsc);
        if (platform_.empty()) platform_ = runsc_.default_platform;
        if (platform_ != runsc_.default_platform)
            throw UserError("--platform " + platform_ + " is not passed through Docker here (docker:runsc runs this runsc's default, " +
                                runsc_.default_platform + ")",
                            "use --runtime runsc --platform " + platform_, kExitUsage);
        if (host_.empty() && !PrivateDockerd::runsc_runtime_path())
            throw UserError("cannot register runsc with the private dockerd: " + scripts_dir() +
                                "/docker/runsc-netns-mask is missing",
                            "set HAP_SCRIPTS_DIR to hap's scripts/ directory");
    } else if (is_nabla()) {
        if (!platform_.empty())
            throw UserError("--platform is not passed through Docker: runnc always runs the spt tender",
                            "drop --platform, or use --runtime nabla --platform " + platform_, kExitUsage);
        const NablaInstall nabla = find_nabla_install();
        if (nabla.runnc.empty() || !path_exists(kRunncTender))
            throw UserError("Nabla (docker:runnc) cannot run here: " + nabla.describe() + " (runnc runs " + kRunncTender + ")",
                            "build and install runnc (README.md, 'Nabla'); `hapctl doctor` checks it");
        auto spec = nabla_image_spec(opts.nabla_images, workload.name());
        if (!spec)
            throw UserError("docker:runnc needs the " + workload.name() + " workload's Nabla image, and none was given",
                            "pass --nabla-image DIR (an image root holding /NAME.nabla) or an image already in the engine");
        nabla_spec_ = *spec;
        if (host_.empty() && !PrivateDockerd::runnc_runtime_path())
            throw UserError("cannot register runnc with the private dockerd: runnc not found", nabla.describe());
    } else if (!platform_.empty()) {
        throw UserError("--platform is not passed through Docker here", "use --runtime runsc --platform " + platform_,
                        kExitUsage);
    }
}

std::string DockerRunner::nabla_image_tag() {
    const NablaImage img = resolve_nabla_image(nabla_spec_, true);
    if (!img.docker_ref.empty()) {
        docker_ok({"image", "inspect", "--format", "{{.Id}}", img.docker_ref}, "looking up Nabla image " + img.docker_ref,
                  std::chrono::seconds(30), "load it into the engine (docker load), or give --nabla-image a directory");
        return img.docker_ref;
    }
    // A directory: imported as one layer with its process, tagged by the
    // content of that layer, so a changed unikernel is a new image.
    const std::string tar = opts_.state_dir + "/nabla-image-" + std::to_string(::getpid()) + ".tar";
    RunOptions o;
    o.timeout = std::chrono::seconds(300);
    auto t = run_command({"tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner", "-C", img.root,
                          "-cf", tar, "."},
                         o);
    if (!t || !t->succeeded()) throw UserError("packing the Nabla image " + img.root + " failed: " + (t ? t->summary() : ""));
    auto sum = run_command({"sha256sum", tar}, o);
    const std::string key = sum && sum->succeeded() ? trim(sum->out).substr(0, 12) : "latest";
    const std::string tag = "hap/nabla-" + workload_.name() + ":" + key;
    auto have = run_command(docker({"image", "inspect", "--format", "{{.Id}}", tag}), o);
    if (!have || !have->succeeded()) {
        nlohmann::json entry = nlohmann::json::array({img.process.argv[0]});
        nlohmann::json cmd(std::vector<std::string>(img.process.argv.begin() + 1, img.process.argv.end()));
        Argv args = {"import", "--change", "ENTRYPOINT " + entry.dump(), "--change", "CMD " + cmd.dump(),
                     "--change", "WORKDIR " + img.process.cwd};
        for (const auto& e : img.process.env)  // "K=V"; a bare "K" is set empty
            args.insert(args.end(), {"--change", "ENV " + (e.find('=') == std::string::npos ? e + "=" : e)});
        args.insert(args.end(), {tar, tag});
        try {
            docker_ok(args, "docker import of the Nabla image " + img.root, std::chrono::seconds(300));
        } catch (...) {
            ::unlink(tar.c_str());
            throw;
        }
    }
    ::unlink(tar.c_str());
    return tag;
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

std::string DockerRunner::docker_ok(Argv args, const std::string& what, std::chrono::seconds timeout,
                                    const std::string& hint) const {
    RunOptions o;
    o.timeout = timeout;
    auto r = run_command(docker(std::move(args)), o);
    if (!r) throw UserError("cannot run docker: " + r.error().describe());
    if (!r->succeeded()) throw UserError(what + " failed: " + r->summary(), hint);
    return trim(r->out);
}

pid_t DockerRunner::container_pid(const std::string& name) const {
    std::string pid = docker_ok({"inspect", "--format", "{{.State.Pid}}", name}, "docker inspect of " + name);
    pid_t p = std::atoi(pid.c_str());
    if (p <= 0) throw UserError("docker reports no pid for container " + name);
    return p;
}

void DockerRunner::prepare() {
    RootfsImage img = ensure_rootfs(workload_, opts_.cache_dir);
    if (host_.empty()) {
        dockerd_ = std::make_unique<PrivateDockerd>(opts_.state_dir, opts_.cache_dir + "/docker");
        dockerd_->start();
        host_ = dockerd_->host();
    }
    // The engine's own account of its parts (Engine, containerd, runc,
    // docker-init), one "name version" a line: the user's engine or ours.
    RunOptions vo;
    vo.timeout = std::chrono::seconds(20);
    if (auto v = run_command(docker({"version", "--format", "{{range .Server.Components}}{{.Name}}\t{{.Version}}\n{{end}}"}), vo);
        v && v->succeeded())
        for (const auto& line : split(trim(v->out), '\n'))
            if (auto tab = line.find('\t'); tab != std::string::npos)
                versions_[line.substr(0, tab) == "Engine" ? "docker" : line.substr(0, tab)] = line.substr(tab + 1);
    if (is_gvisor()) versions_["runsc"] = runsc_.version;
    image_tag_ = "hap/" + workload_.name() + ":" + img.key.substr(0, 12);
    rootfs_ = img.rootfs;
    holder_image_ = image_tag_;
    if (workload_.spec().root.kind != RootSpec::Kind::kDebianPackages) stored_image_ = img.reference;
    RunOptions o;
    auto have = run_command(docker({"image", "inspect", "--format", "{{.Id}}", image_tag_}), o);
    if (!have || !have->succeeded()) {
        // The same root the OCI runner uses, so both see the same binaries.
        docker_ok({"import", img.tarball, image_tag_}, "docker import of " + img.tarball, std::chrono::seconds(600));
    }
    if (is_nabla()) image_tag_ = nabla_image_tag();
}

void DockerRunner::launch() {
    const int seq = g_seq++;
    name_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    const std::string owner = std::string(kOwnerLabel) + "=" + std::to_string(::getpid());
    link_ = std::make_unique<NetnsLink>(seq);
    // --network none: this host's private engine has no bridge; hap adds a
    // veth from its own client namespace (see docker_runner.h).
    std::string network = "none";
    if (needs_holder()) {
        holder_name_ = name_ + "-net";
        holder_ = true;
        docker_ok({"run", "--detach", "--name", holder_name_, "--label", owner, "--network", "none", "--read-only",
                   holder_image_, "sleep", "infinity"},
                  "docker run of the network holder container " + holder_name_);
        holder_id_ = docker_ok({"inspect", "--format", "{{.Id}}", holder_name_}, "docker inspect of " + holder_name_);
        link_->create_into_process(container_pid(holder_name_), is_nabla() ? SandboxEnd::like_docker_eth0() : SandboxEnd{});
        network = "container:" + holder_name_;
    }
    Argv args = {"run", "--detach", "--name", name_, "--label", owner, "--network", network};
    // runnc copies its root into an ISO and writes /etc in it first; the
    // unikernel sees no mounts: a read-only root and tmpfs mounts mean nothing there.
    if (!is_nabla()) {
        args.push_back("--read-only");
        // The image's uid and gid (scratch tmpfs belong to them); the same root docker imported.
        std::optional<std::pair<uint32_t, uint32_t>> user;
        if (!workload_.spec().user.empty()) user = resolve_user(workload_.spec().user, rootfs_);
        for (const auto& d : workload_.scratch_dirs()) {
            args.push_back("--tmpfs");
            // A service that is not root writes its scratch paths as itself.
            args.push_back(user ? d + ":uid=" + std::to_string(user->first) + ",gid=" + std::to_string(user->second) : d);
        }
        for (const auto& e : workload_.environment()) args.insert(args.end(), {"--env", e});
        if (user) args.insert(args.end(), {"--user", std::to_string(user->first) + ":" + std::to_string(user->second)});
        if (!workload_.spec().workdir.empty()) args.insert(args.end(), {"--workdir", workload_.spec().workdir});
        args.push_back("--tmpfs");
        args.push_back("/run");
    }
    if (!engine_runtime_.empty()) {
        args.push_back("--runtime");
        args.push_back(engine_runtime_);
    }
    args.push_back(image_tag_);
    if (!is_nabla())  // a Nabla image runs its own ENTRYPOINT and CMD
        for (const auto& a : workload_.command()) args.push_back(a);
    std::string hint;
    if (!dockerd_ && is_gvisor())
        hint = "register runsc with your engine through hap's wrapper (gVisor issue #10704): dockerd --add-runtime runsc=" +
               scripts_dir() + "/docker/runsc-netns-mask";
    container_ = true;
    docker_ok(args, "docker run of " + workload_.name() + (engine_runtime_.empty() ? "" : " with " + engine_runtime_),
              std::chrono::seconds(120), hint);
    id_ = docker_ok({"inspect", "--format", "{{.Id}}", name_}, "docker inspect of " + name_);
    init_pid_ = container_pid(name_);
    if (!needs_holder()) link_->create_into_process(init_pid_);  // else the holder's namespace has the link
    if (!is_gvisor()) return;
    // The engine chose runsc's flags (the sandbox's command line carries
    // those not left at their default): check it ran the platform recorded.
    const std::string ran = platform_flag(task_cmdline(init_pid_));
    if (!ran.empty() && ran != platform_)
        throw UserError("the engine's runsc runs platform " + ran + ", not " + platform_ + " as recorded",
                        "register runsc with the engine without --platform, or measure --runtime runsc --platform " + ran);
}

nlohmann::json DockerRunner::settings() const {
    nlohmann::json j = {{"versions", versions_}};
    if (is_nabla()) {
        j["image"] = nabla_spec_;
        j["binaries"] = {binary_origin(find_nabla_install().runnc), binary_origin(kRunncTender)};
    }
    if (is_gvisor()) {
        j["platform_default"] = runsc_.default_platform;
        j["runsc_binary"] = runsc_.binary;
    }
    return j;
}

Endpoint DockerRunner::endpoint() const { return endpoint_through(link_.get(), workload_.port()); }

std::vector<SandboxTask> DockerRunner::tasks() {
    SandboxTaskList out;
    if (!is_gvisor()) {
        out.add_tree(init_pid_, "workload");
    } else {
        // As under the OCI runner: the sentry and gofer are the runtime; what
        // the sentry spawns (ptrace stubs) runs the application's code. The
        // container id (64 hex digits, on their command lines) ties them to
        // this container; a candidate whose parent is one too is a stub.
        std::vector<pid_t> candidates, runtime_pids;
        for (pid_t p : all_pids()) {
            const std::string cmd = task_cmdline(p);
            if (cmd.find(id_) != std::string::npos && is_gvisor_runtime_process(cmd)) candidates.push_back(p);
        }
        for (pid_t p : candidates) {
            auto parent = parent_pid(p);
            bool stub = parent && std::find(candidates.begin(), candidates.end(), *parent) != candidates.end();
            if (!stub) runtime_pids.push_back(p);
        }
        for (pid_t p : runtime_pids) out.add(p, "runtime");
        for (pid_t p : runtime_pids)
            for (pid_t d : descendants(p)) out.add(d, "workload");
    }
    // The shim that holds the container's stdio and reaps it works for it too.
    if (auto parent = parent_pid(init_pid_); parent && *parent > 1) {
        std::string comm = task_comm(*parent);
        if (comm.rfind("containerd-shim", 0) == 0) out.add(*parent, "runtime");
    }
    return out.take();
}

void DockerRunner::remove_container(const std::string& name, const std::string& known_id) noexcept {
    RunOptions o;
    o.timeout = std::chrono::seconds(60);
    std::string id = known_id;
    if (id.empty()) {
        auto r = run_command(docker({"inspect", "--format", "{{.Id}}", name}), o);
        if (r && r->succeeded()) id = trim(r->out);
    }
    (void)run_command(docker({"rm", "--force", name}), o);
    // A runtime that failed half-way (runsc create) leaves its shim, sandbox
    // and gofer running; each names the container id (MACHINE-NOTES.md).
    if (id.size() == 64)
        if (int n = kill_processes_mentioning(id, std::chrono::seconds(5)); n > 0)
            std::cerr << "hapctl: killed " << n << " process(es) left by container " << name << "\n";
}

void DockerRunner::teardown() noexcept {
    if (container_) {
        remove_container(name_, id_);
        container_ = false;
    }
    if (holder_) {
        remove_container(holder_name_, holder_id_);
        holder_ = false;
    }
    if (link_) link_->teardown();
    id_.clear();
    holder_id_.clear();
    init_pid_ = 0;
}

void DockerRunner::shutdown() noexcept {
    if (dockerd_) {
        dockerd_->stop();
        // Whatever outlived the engine (shims, runsc sandboxes) names its directory.
        remove_private_dockerd_dir(dockerd_->dir());
        dockerd_.reset();
    }
}

}  // namespace hap
