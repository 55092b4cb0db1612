#include "oci_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include <nlohmann/json.hpp>

#include "files.h"
#include "kvm_guests.h"
#include "oci_spec.h"
#include "program_version.h"
#include "procfs.h"
#include "sandbox_task_list.h"

namespace hap {
namespace {
std::atomic<int> g_seq{0};
}

std::string oci_state_root(const std::string& state_dir) { return state_dir + "/oci"; }

std::vector<std::string> gvisor_netns_check_mask() {
    // runsc (Debian's 2022-12 and 2024-07 both) takes a namespace where
    // rmem_default is visible for the host's root namespace and refuses to
    // scrape its interfaces (gVisor #10704); since
    // Linux 6.x (per-netns net.core sysctls) that file is visible in every
    // namespace. Hiding the directory from `runsc run` alone restores the
    // intended answer; the sandbox still sees only the namespace hap made.
    // The mask must sit on /proc/sys/net: entries below it are looked up per
    // network namespace, so a mount on .../core is not seen after setns().
    return {"/proc/sys/net"};
}

std::string OciRunner::container_prefix() { return "hap-" + std::to_string(::getpid()) + "-"; }

OciRunner::OciRunner(const RunnerOptions& opts, const Workload& workload, std::string binary)
    : opts_(opts), workload_(workload), runtime_(opts.runtime), binary_(std::move(binary)), platform_(opts.platform) {
    if (!is_gvisor()) {
        if (!platform_.empty())
            throw UserError("--platform is for gVisor (runsc) only, not " + runtime_, "drop --platform", kExitUsage);
        version_ = program_version({binary_, "--version"});
        return;
    }
    // The binary says which platforms it has and which it runs by default
    // (systrap since 2023, ptrace before): a run without --platform measures
    // what a user of this runsc gets.
    runsc_ = read_runsc_info(binary_);
    version_ = runsc_.version;
    if (platform_.empty()) platform_ = runsc_.default_platform;
    if (!runsc_.has(platform_))
        throw UserError("this runsc (" + binary_ + ", " + runsc_.version + ") has no platform '" + platform_ + "'",
                        "its platforms: " + runsc_.platform_list() + " (default " + runsc_.default_platform + ")",
                        kExitUsage);
    if (platform_ == "kvm") {
        // gVisor's kvm platform runs the sandbox as a KVM guest, and needs
        // more of that guest's CPU than a plain guest does (kvm_guests.h).
        KvmVerdict kvm = gvisor_kvm_usable();
        if (!kvm.usable)
            throw UserError("gVisor's kvm platform cannot run here: " + kvm.why,
                            "use --platform " + runsc_.default_platform +
                                "; the kvm platform needs KVM on hardware, or a nested KVM that "
                                "passes these checks (hapctl doctor)");
        // Those checks pass on some nested KVMs whose sentry still dies at its
        // first switch to the application (#GP under emulated SVM): one
        // `runsc do /bin/true` (about 2 s) says so before anything is stored.
        if (::geteuid() == 0) {
            RunscPlatformProbe probe = probe_runsc_platform(binary_, "kvm", opts_.state_dir, std::chrono::seconds(30));
            if (!probe.runs)
                throw UserError("gVisor's kvm platform cannot run here: " + probe.why,
                                "use --platform " + runsc_.default_platform + "; hapctl doctor probes every platform");
        }
    }
}

nlohmann::json OciRunner::settings() const {
    nlohmann::json j = {{"runtime_binary", binary_}, {"versions", {{runtime_, version_}}}};
    if (is_gvisor()) {
        j["platform_default"] = runsc_.default_platform;
        j["platforms"] = runsc_.platforms;
    }
    return j;
}

std::string OciRunner::network() const {
    // gVisor's default: its own netstack serves the veth inside the sandbox.
    return is_gvisor() ? "sandbox (gVisor netstack) via veth" : "veth";
}

Argv OciRunner::runtime_argv(Argv args) const {
    Argv argv = {binary_, "--root", root_dir_};
    if (is_gvisor()) {
        argv.push_back("--platform=" + platform_);
        argv.push_back("--network=sandbox");
    }
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void OciRunner::prepare() { image_ = ensure_rootfs(workload_, opts_.cache_dir); }

void OciRunner::launch() {
    const int seq = g_seq++;
    id_ = container_prefix() + std::to_string(seq);
    const std::string base = oci_state_root(opts_.state_dir) + "/" + id_;
    bundle_dir_ = base + "/bundle";
    root_dir_ = base + "/root";
    for (const auto& d : {bundle_dir_, root_dir_})
        if (auto st = make_dirs(d); !st) throw UserError(st.error().describe());

    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_with_workload_ns();

    OciSpecParams p;
    p.args = workload_.command();
    p.rootfs = image_.rootfs;
    p.netns_path = link_->workload_ns_path();
    p.cgroups_path = "/hap/" + id_;
    p.scratch_dirs = workload_.scratch_dirs();
    p.extra_env = workload_.environment();
    if (!workload_.spec().user.empty()) std::tie(p.uid, p.gid) = resolve_user(workload_.spec().user, image_.rootfs);
    if (!workload_.spec().workdir.empty()) p.cwd = workload_.spec().workdir;
    if (auto st = write_file(bundle_dir_ + "/config.json", make_oci_spec(p).dump(2)); !st)
        throw UserError(st.error().describe());

    // Detached: the container's stdio goes to a log file, not to a pipe we
    // would wait on forever.
    const std::string log = base + "/console.log";
    SpawnOptions so;
    so.stdout_path = so.stderr_path = log;
    so.die_with_parent = false;
    if (is_gvisor()) so.masked_dirs = gvisor_netns_check_mask();
    auto child = spawn_process(runtime_argv({"run", "--detach", "--bundle", bundle_dir_, id_}), so);
    if (!child) throw UserError("cannot start " + runtime_ + ": " + child.error().describe());
    created_ = true;
    if (!child->wait_for(std::chrono::seconds(60))) {
        child->stop();
        throw UserError(runtime_ + " did not start the container within 60 s", "see " + log);
    }
    int status = child->wait_status().value_or(-1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        auto text = read_file(log);
        // runsc logs glog lines ("W1130 03:32:26.54 9347 main.go:1] ..."):
        // its last error line without that prefix is the one-line reason.
        std::string last = text ? runsc_error_line(*text) : "";
        // The state directory goes with teardown; the log is kept for the user.
        const std::string kept = opts_.state_dir + "/logs/" + id_ + ".log";
        (void)make_dirs(opts_.state_dir + "/logs");
        ::rename(log.c_str(), kept.c_str());
        const std::string what = is_gvisor() ? "runsc (platform " + platform_ + ")" : runtime_;
        // A cause hap can name (ptrace_scope 3) comes first; runsc's own words follow.
        if (const std::string blocker = is_gvisor() ? runsc_platform_blocker(platform_) : ""; !blocker.empty())
            throw UserError(what + " cannot start here: " + blocker + (last.empty() ? "" : " (runsc: " + last + ")"),
                            "use another platform (hapctl doctor lists those that run), or another host; full log: " + kept);
        throw UserError(what + " failed to start the " + workload_.name() + " container: " + last, "full log: " + kept);
    }
    auto st = run_command(runtime_argv({"state", id_}));
    if (!st || !st->succeeded()) throw UserError(runtime_ + " state " + id_ + " failed: " + (st ? st->summary() : ""));
    auto j = nlohmann::json::parse(st->out, nullptr, false);
    init_pid_ = j.is_object() ? j.value("pid", 0) : 0;
    if (init_pid_ <= 0) throw UserError(runtime_ + " state " + id_ + " reported no pid");
}

Endpoint OciRunner::endpoint() const { return endpoint_through(link_.get(), workload_.port()); }

std::vector<SandboxTask> OciRunner::tasks() {
    SandboxTaskList out;
    if (!is_gvisor()) {
        // runc/crun exit after start: the container's tasks are all there is.
        out.add_tree(init_pid_, "workload");
        return out.take();
    }
    // gVisor: the sentry (runsc boot) and gofer are re-executed runsc
    // processes that carry our per-container --root; what they spawn that is
    // not runsc itself (ptrace stubs) runs the application's code.
    std::vector<pid_t> runtime_pids;
    for (pid_t p : all_pids()) {
        const std::string cmd = task_cmdline(p);
        if (cmd.find(root_dir_) != std::string::npos &&
            (cmd.find(" boot ") != std::string::npos || cmd.find(" gofer ") != std::string::npos ||
             cmd.find("runsc-sandbox") != std::string::npos || cmd.find("runsc-gofer") != std::string::npos))
            runtime_pids.push_back(p);
    }
    for (pid_t p : runtime_pids) out.add(p, "runtime");
    for (pid_t p : runtime_pids)
        for (pid_t d : descendants(p)) out.add(d, "workload");
    return out.take();
}

void OciRunner::teardown() noexcept {
    if (created_) {
        RunOptions o;
        o.timeout = std::chrono::seconds(30);
        (void)run_command(runtime_argv({"kill", id_, "KILL"}), o);
        auto del = run_command(runtime_argv({"delete", "--force", id_}), o);
        (void)del;
        created_ = false;
    }
    if (link_) link_->teardown();
    if (!id_.empty()) {
        // The bundle only holds config.json and the log; the rootfs is shared.
        (void)run_command({"rm", "-rf", "--one-file-system", oci_state_root(opts_.state_dir) + "/" + id_});
        id_.clear();
    }
}

}  // namespace hap
