#include "nabla_runner.h"

#include <atomic>

#include "files.h"
#include "kata_runner.h"
#include "kvm_guests.h"
#include "process_snapshot.h"
#include "procfs.h"
#include "vm_discovery.h"

namespace hap {
namespace {
std::atomic<int> g_seq{300};

std::string found(const std::string& name) {
    if (auto p = find_program(name)) return *p;
    for (const auto& dir : {"/usr/local/bin/", "/opt/nabla/bin/"})
        if (path_exists(dir + name)) return dir + name;
    return "";
}

const char* kInstallHint =
    "Nabla is not packaged for Debian and cannot be built here: on a host that has them, build runnc and the "
    "solo5 tenders from github.com/nabla-containers/runnc (make && make install puts runnc, runnc-cont and "
    "nabla-run in /usr/local/bin) and load nablact/* images with `docker load`; `hapctl doctor` checks it";

// nablact images per workload (Nabla's published set); --image-like override via $HAP_NABLA_IMAGE.
std::string default_image(const std::string& workload) {
    if (workload == "redis") return "nablact/nabla-redis-base";
    if (workload == "node") return "nablact/nabla-node-base";
    if (workload == "python") return "nablact/nabla-python3-base";
    return "";
}
}  // namespace

NablaInstall find_nabla_install() {
    NablaInstall n;
    n.runnc = found("runnc");
    n.tender_spt = found("nabla-run");
    if (n.tender_spt.empty()) n.tender_spt = found("solo5-spt");
    n.tender_hvt = found("solo5-hvt");
    return n;
}

NablaRunner::NablaRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload), platform_(opts.platform.empty() ? "runnc" : opts.platform) {
    if (platform_ != "runnc" && platform_ != "spt" && platform_ != "hvt")
        throw UserError("Nabla platform '" + platform_ + "' is not one hap knows", "use --platform runnc, spt or hvt", kExitUsage);
    if (platform_ == "hvt") {
        // solo5-hvt runs the unikernel as a KVM guest: only where a probe
        // shows guests really run (a broken KVM_RUN would hang the tender).
        const KvmVerdict kvm = kvm_guests_usable();
        if (!kvm.usable)
            throw UserError("solo5-hvt cannot run here: KVM guests do not run on this host: " + kvm.why,
                            "use --platform spt or runnc, or measure in the lab (`hapctl lab run`)");
    }
}

Argv NablaRunner::docker(Argv args) const {
    Argv argv = {"docker", "-H", opts_.docker_host};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void NablaRunner::prepare() {
    install_ = find_nabla_install();
    if (platform_ == "runnc") {
        if (install_.runnc.empty())
            throw UserError("Nabla (runnc) cannot run here: runnc is not installed (not in PATH, /usr/local/bin or /opt/nabla/bin)",
                            kInstallHint);
        if (install_.tender_spt.empty())
            throw UserError("Nabla (runnc) cannot run here: the solo5 spt tender (nabla-run / solo5-spt) is not installed", kInstallHint);
        if (opts_.docker_host.empty())
            throw UserError("Nabla through Docker needs an engine with runnc registered",
                            "start one with `dockerd --add-runtime runnc=" + install_.runnc + "` and pass --docker-host");
        const char* env = std::getenv("HAP_NABLA_IMAGE");
        image_ = env && *env ? env : default_image(workload_.name());
        if (image_.empty())
            throw UserError("no Nabla image for workload " + workload_.name(), "set HAP_NABLA_IMAGE to a nablact/* image you loaded");
        auto have = run_command(docker({"image", "inspect", "--format", "{{.Id}}", image_}));
        if (!have || !have->succeeded())
            throw UserError("Nabla image " + image_ + " is not in the engine at " + opts_.docker_host,
                            "no registry is reachable: `docker save` it where it is and `docker load` it here");
        return;
    }
    tender_ = install_.tender_spt;
    if (tender_.empty()) throw UserError("Nabla (spt) cannot run here: solo5-spt / nabla-run is not installed", kInstallHint);
    const char* uk = std::getenv("HAP_NABLA_UNIKERNEL");
    if (!uk || !path_exists(uk))
        throw UserError("Nabla (spt) needs the workload's unikernel binary", "set HAP_NABLA_UNIKERNEL=/path/to/" + workload_.name() + ".spt");
    image_ = uk;
}

void NablaRunner::launch() {
    const int seq = g_seq++;
    name_ = "hap-" + std::to_string(::getpid()) + "-" + std::to_string(seq);
    link_ = std::make_unique<NetnsLink>(seq);
    if (platform_ == "runnc") {
        Argv args = {"run", "--detach", "--name", name_, "--runtime", "runnc", "--network", "none", image_};
        container_ = true;
        RunOptions o;
        o.timeout = std::chrono::seconds(120);
        auto r = run_command(docker(args), o);
        if (!r || !r->succeeded()) throw UserError("docker run --runtime=runnc " + image_ + " failed: " + (r ? r->summary() : r.error().describe()));
        auto pid = run_command(docker({"inspect", "--format", "{{.State.Pid}}", name_}), o);
        init_pid_ = pid && pid->succeeded() ? std::atoi(trim(pid->out).c_str()) : 0;
        if (init_pid_ <= 0) throw UserError("Nabla container " + name_ + " has no host pid", "see `docker logs " + name_ + "`");
        link_->create_into_process(init_pid_);
        return;
    }
    // spt: the tender in hap's network namespace; the unikernel reaches the veth through a tap there.
    link_->create_with_workload_ns();
    Argv argv = {"ip", "netns", "exec", link_->workload_ns(), tender_, "--net:service=tap0", image_};
    for (const auto& a : workload_.command()) argv.push_back(a);
    SpawnOptions so;
    so.stdout_path = so.stderr_path = opts_.state_dir + "/" + name_ + ".log";
    auto c = spawn_process(argv, so);
    if (!c) throw UserError("cannot start " + tender_ + ": " + c.error().describe());
    child_ = std::move(*c);
}

Endpoint NablaRunner::endpoint() const { return endpoint_through(link_.get(), workload_.port()); }

std::vector<SandboxTask> NablaRunner::tasks() {
    auto snap = take_process_snapshot({}, "");
    std::vector<SandboxTask> out;
    for (const auto& m : find_vmms(snap)) {
        if (m.kind != VmmKind::Solo5Spt && m.kind != VmmKind::Solo5Hvt) continue;
        // Ours: the container's init (runnc execs the tender in it) or below our tender child.
        bool mine = m.pid == init_pid_;
        for (const SnapProcess* p = snap.find(m.pid); !mine && p && p->pid > 1; p = snap.find(p->ppid))
            if (p->pid == child_.pid() || p->pid == init_pid_) mine = true;
        if (!mine) continue;
        for (const auto& t : sandbox_view_tasks(discover_sandbox(snap, m.pid))) out.push_back(t);
        if (auto parent = parent_pid(m.pid); parent && *parent > 1) {
            std::string comm = task_comm(*parent);
            if (comm.rfind("containerd-shim", 0) == 0 || comm.rfind("runnc", 0) == 0) out.push_back(SandboxTask{*parent, "runtime", comm});
        }
    }
    if (out.empty()) throw UserError("no solo5 tender found for the Nabla sandbox " + name_, "see its log under " + opts_.state_dir);
    return out;
}

void NablaRunner::teardown() noexcept {
    if (container_) {
        RunOptions o;
        o.timeout = std::chrono::seconds(60);
        (void)run_command(docker({"rm", "--force", name_}), o);
        container_ = false;
    }
    child_.stop();
    if (link_) link_->teardown();
}

}  // namespace hap
