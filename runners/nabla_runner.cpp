#include "nabla_runner.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include <fmt/format.h>

#include "binary_origin.h"
#include "files.h"
#include "kata_runner.h"
#include "kvm_guests.h"
#include "leftovers.h"
#include "oci_spec.h"
#include "process_snapshot.h"
#include "procfs.h"
#include "rumprun_config.h"
#include "vm_discovery.h"

namespace hap {
namespace {
std::atomic<int> g_seq{300};  // apart from the other runners' sequences

// runnc's own defaults (libcontainer/configs/defaults.go: 512 MB when no
// limit is given; the nabla-run path is compiled in,
// llruntimes/nabla/exec_handler.go), used for the tender hap runs itself too.
constexpr int kMemoryMb = 512;
constexpr const char* kTap = "tap0";

std::string found(const std::string& name) {
    if (auto p = find_program(name)) return *p;
    for (const auto& dir : {"/usr/local/bin/", "/opt/runnc/bin/"})
        if (path_exists(dir + name) && ::access((dir + name).c_str(), X_OK) == 0) return dir + name;
    return "";
}

const char* kInstallHint =
    "Nabla is not packaged for Debian: build runnc and the solo5 tenders from github.com/nabla-containers/runnc "
    "(its `make install` puts runnc and nabla-run in /opt/runnc/bin and /usr/local/bin) and a unikernel image "
    "(nabla-base-build); README.md, 'Nabla', says what hap needs; `hapctl doctor` checks it";

std::string last_words(const std::string& log) {
    auto text = read_file(log);
    return text ? last_line(*text) : "";
}

}  // namespace

std::string NablaInstall::describe() const {
    auto part = [](const char* name, const std::string& path) {
        return std::string(name) + " " + (path.empty() ? "missing" : path);
    };
    return part("runnc", runnc) + ", " + part("spt tender (nabla-run / solo5-spt)", tender_spt) + ", " +
           part("hvt tender (solo5-hvt)", tender_hvt) + ", " + part("genisoimage", genisoimage);
}

NablaInstall find_nabla_install() {
    NablaInstall n;
    n.runnc = found("runnc");
    n.tender_spt = found("nabla-run");
    if (n.tender_spt.empty()) n.tender_spt = found("solo5-spt");
    n.tender_hvt = found("solo5-hvt");
    if (auto g = find_program("genisoimage")) n.genisoimage = *g;
    return n;
}

std::string nabla_state_root(const std::string& state_dir) { return state_dir + "/nabla"; }

void remove_nabla_sandbox(const std::string& dir, const std::string& id) noexcept {
    if (const std::string runnc = find_nabla_install().runnc; !runnc.empty() && path_exists(dir + "/root")) {
        RunOptions o;
        o.timeout = std::chrono::seconds(30);
        (void)run_command({runnc, "--root", dir + "/root", "kill", id, "KILL"}, o);
        (void)run_command({runnc, "--root", dir + "/root", "delete", "--force", id}, o);
    }
    // What runnc's delete missed, and a tender hap started itself.
    (void)kill_processes_mentioning(dir);
    (void)run_command({"rm", "-rf", "--one-file-system", dir});
}

std::string nabla_container_id(pid_t owner, int seq) {
    const std::string head = "hap-" + std::to_string(owner) + "-";
    std::string tail = std::to_string(seq);
    while (head.size() + tail.size() < 12) tail = "0" + tail;
    return head + tail;
}

NablaRunner::NablaRunner(const RunnerOptions& opts, const Workload& workload)
    : opts_(opts), workload_(workload), platform_(opts.platform.empty() ? "runnc" : opts.platform) {
    if (platform_ != "runnc" && platform_ != "spt" && platform_ != "hvt")
        throw UserError("Nabla platform '" + platform_ + "' is not one hap knows",
                        "use --platform runnc (an OCI bundle), spt or hvt (the tender directly); through Docker: "
                        "--runtime docker:runnc",
                        kExitUsage);
    if (platform_ == "hvt") {
        // solo5-hvt runs the unikernel as a KVM guest: only where a probe
        // shows guests really run (a broken KVM_RUN would hang the tender).
        const KvmVerdict kvm = kvm_guests_usable();
        if (!kvm.usable)
            throw UserError("solo5-hvt cannot run here: KVM guests do not run on this host: " + kvm.why,
                            "use --platform spt or runnc, or measure in the lab (`hapctl lab run`)");
    }
}

std::string NablaRunner::network() const {
    return platform_ == "runnc" ? "veth as eth0 (hap netns), bridged by runnc to its tap"
                                : "tap (hap netns), tc redirect to veth";
}

std::string NablaRunner::image() const {
    if (unikernel_.empty()) return "";
    return "nabla:" + unikernel_;
}

void NablaRunner::prepare() {
    install_ = find_nabla_install();
    std::vector<std::string> missing;
    if (platform_ == "runnc") {
        if (install_.runnc.empty()) missing.push_back(std::string("runnc (looked in ") + kNablaInstallDirs + ")");
        // runnc execs this path, whatever PATH says.
        if (!path_exists(kRunncTender)) missing.push_back(std::string("the spt tender runnc runs, ") + kRunncTender);
    } else if (platform_ == "spt" && install_.tender_spt.empty()) {
        missing.push_back(std::string("the spt tender nabla-run / solo5-spt (looked in ") + kNablaInstallDirs + ")");
    } else if (platform_ == "hvt" && install_.tender_hvt.empty()) {
        missing.push_back(std::string("the hvt tender solo5-hvt (looked in ") + kNablaInstallDirs + ")");
    }
    // runnc makes the rootfs ISO with genisoimage too (nabla-lib/storage).
    if (install_.genisoimage.empty()) missing.push_back("genisoimage (Debian package genisoimage; scripts/setup installs it)");
    if (!missing.empty()) {
        std::string what;
        for (const auto& m : missing) what += (what.empty() ? "" : "; ") + m;
        throw UserError("Nabla (" + platform_ + ") cannot run here: missing " + what, kInstallHint);
    }
    auto spec = nabla_image_spec(opts_.nabla_images, workload_.name());
    if (!spec)
        throw UserError("Nabla needs the " + workload_.name() + " workload's unikernel image, and none was given",
                        "pass --nabla-image DIR (the image root, holding /NAME.nabla and image-config.json) or "
                        "--nabla-image " + workload_.name() + "=DIR; redis is the one Nabla workload that builds today");
    image_ = resolve_nabla_image(*spec, false);
    unikernel_ = image_.unikernel();
    if (platform_ == "hvt") {
        unikernel_ = image_.hvt_unikernel();
        if (unikernel_.empty())
            throw UserError("the Nabla image " + image_.spec + " has no hvt build of " + image_.process.argv[0] +
                                " (a .hvt file beside the .nabla)",
                            "bake the unikernel for solo5-hvt too, or use --platform spt");
    }
}

Argv NablaRunner::runnc(Argv args) const {
    Argv argv = {install_.runnc, "--root", dir_ + "/root"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

void NablaRunner::launch() {
    const int seq = g_seq++;
    id_ = nabla_container_id(::getpid(), seq);
    dir_ = nabla_state_root(opts_.state_dir) + "/" + id_;
    log_ = dir_ + "/tender.log";
    if (auto st = make_dirs(dir_); !st) throw UserError(st.error().describe());
    link_ = std::make_unique<NetnsLink>(seq);
    if (platform_ == "runnc") launch_runnc();
    else launch_tender();
}

void NablaRunner::launch_tender() {
    try {
        link_->create_with_vm_tap(kTap);
    } catch (const UserError& e) {
        throw UserError(std::string("cannot make the unikernel's tap: ") + e.what(), e.hint());
    }
    // The image root as the unikernel's / (runnc: nabla-lib/storage/CreateIso).
    const std::string iso = dir_ + "/rootfs.iso";
    RunOptions o;
    o.timeout = std::chrono::seconds(120);
    auto r = run_command({install_.genisoimage, "-quiet", "-m", "dev", "-m", "sys", "-m", "proc", "-l", "-r", "-o", iso,
                          image_.root},
                         o);
    if (!r || !r->succeeded())
        throw UserError("genisoimage of the Nabla image " + image_.root + " failed: " + (r ? r->summary() : r.error().describe()));
    RumprunConfig cfg;
    cfg.argv = image_.process.argv;
    cfg.argv[0] = unikernel_;  // runnc passes the host path as argv[0]
    cfg.addr = kWorkloadAddress;
    cfg.gw = kClientAddress;
    cfg.mask_bits = 30;
    cfg.env = image_.process.env;
    cfg.cwd = image_.process.cwd;
    const std::string tender = platform_ == "hvt" ? install_.tender_hvt : install_.tender_spt;
    tender_argv_ = {tender};
    if (platform_ == "spt") tender_argv_.push_back("--x-exec-heap");  // as runnc runs it: rumprun's heap holds code
    tender_argv_.insert(tender_argv_.end(), {"--mem=" + std::to_string(kMemoryMb), std::string("--net=") + kTap,
                                             "--disk=" + iso, unikernel_, rumprun_json(cfg)});
    Argv argv = {"ip", "netns", "exec", link_->workload_ns()};
    argv.insert(argv.end(), tender_argv_.begin(), tender_argv_.end());
    SpawnOptions so;
    so.stdout_path = so.stderr_path = log_;
    auto c = spawn_process(argv, so);
    if (!c) throw UserError("cannot start " + tender + ": " + c.error().describe());
    tender_ = std::move(*c);
}

void NablaRunner::launch_runnc() {
    link_->create_with_workload_ns(SandboxEnd::like_docker_eth0());
    // A copy of the image root: runnc writes into it (rootfs/etc, the files
    // Docker bind-mounts) before it makes its ISO.
    const std::string bundle = dir_ + "/bundle";
    if (auto st = make_dirs(bundle + "/rootfs"); !st) throw UserError(st.error().describe());
    RunOptions o;
    o.timeout = std::chrono::seconds(120);
    auto cp = run_command({"cp", "-a", "--", image_.root + "/.", bundle + "/rootfs/"}, o);
    if (!cp || !cp->succeeded())
        throw UserError("copying the Nabla image " + image_.root + " into the bundle failed: " + (cp ? cp->summary() : ""));
    OciSpecParams p;
    p.args = image_.process.argv;
    p.rootfs = bundle + "/rootfs";
    p.readonly_root = false;
    p.netns_path = link_->workload_ns_path();
    p.cgroups_path = "/hap/" + id_;
    p.cwd = image_.process.cwd;
    p.extra_env = image_.process.env;
    if (auto st = write_file(bundle + "/config.json", make_oci_spec(p).dump(2)); !st) throw UserError(st.error().describe());

    SpawnOptions so;
    so.stdout_path = so.stderr_path = log_;
    so.die_with_parent = false;  // the container's init outlives `runnc create`
    auto create = spawn_process(runnc({"create", "--bundle", bundle, id_}), so);
    if (!create) throw UserError("cannot start runnc: " + create.error().describe());
    if (!create->wait_for(std::chrono::seconds(60))) {
        create->stop();
        keep_log();
        throw UserError("runnc create did not return within 60 s", "see " + opts_.state_dir + "/logs/" + id_ + ".log");
    }
    const int status = create->wait_status().value_or(-1);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        keep_log();
        throw UserError("runnc refused the " + workload_.name() + " bundle: " + last_words(log_),
                        "full log: " + opts_.state_dir + "/logs/" + id_ + ".log");
    }
    auto st = run_command(runnc({"state", id_}), o);
    auto j = st && st->succeeded() ? nlohmann::json::parse(st->out, nullptr, false) : nlohmann::json();
    init_pid_ = j.is_object() ? j.value("pid", 0) : 0;
    if (init_pid_ <= 0) throw UserError("runnc state " + id_ + " reported no pid: " + (st ? st->summary() : ""));
    auto start = run_command(runnc({"start", id_}), o);
    if (!start || !start->succeeded()) {
        keep_log();
        throw UserError("runnc start " + id_ + " failed: " + (start ? start->summary() : start.error().describe()),
                        "full log: " + opts_.state_dir + "/logs/" + id_ + ".log");
    }
}

std::vector<SandboxTask> NablaRunner::tasks() {
    auto snap = take_process_snapshot({}, "");
    std::vector<SandboxTask> out;
    for (const auto& m : find_vmms(snap)) {
        // Ours: the container's process (runnc's init execs the tender) or
        // the tender hap started (`ip netns exec` execs it too).
        if (m.pid != init_pid_ && m.pid != tender_.pid()) continue;
        tender_argv_ = snap.find(m.pid)->cmdline;
        for (const auto& t : sandbox_view_tasks(discover_sandbox(snap, m.pid))) out.push_back(t);
    }
    if (out.empty()) {
        std::string why = exited_why();
        throw UserError("no solo5 tender runs for the Nabla sandbox " + id_ + (why.empty() ? "" : ": " + why),
                        "its log is kept in " + opts_.state_dir + "/logs");
    }
    return out;
}

std::string NablaRunner::exited_why() {
    bool gone = false;
    int status = -1;
    if (tender_.pid() > 0 && !tender_.running()) {
        gone = true;
        status = tender_.wait_status().value_or(-1);
    } else if (init_pid_ > 0 && !process_alive(init_pid_)) {
        gone = true;
    }
    if (!gone) return "";
    keep_log();
    std::string why = "the solo5 tender exited";
    if (status != -1) why += " (" + describe_status(status) + ")";
    if (auto last = last_words(log_); !last.empty()) why += ": '" + last + "'";
    return why;
}

std::string NablaRunner::last_output() { return log_.empty() ? "" : last_words(log_); }

nlohmann::json NablaRunner::settings() const {
    nlohmann::json j = {{"image", image_.spec}, {"unikernel", unikernel_}, {"memory_mb", kMemoryMb},
                        {"process", image_.process.argv}};
    if (!tender_argv_.empty()) j["tender_argv"] = tender_argv_;
    nlohmann::json bins = nlohmann::json::array();
    if (platform_ == "runnc") {
        bins.push_back(binary_origin(install_.runnc));
        bins.push_back(binary_origin(kRunncTender));
    } else {
        bins.push_back(binary_origin(platform_ == "hvt" ? install_.tender_hvt : install_.tender_spt));
    }
    if (!unikernel_.empty()) bins.push_back(binary_origin(unikernel_));
    j["binaries"] = bins;
    return j;
}

void NablaRunner::keep_log() noexcept {
    if (log_.empty()) return;
    const std::string logs = opts_.state_dir + "/logs";
    (void)make_dirs(logs);
    if (auto text = read_file(log_)) (void)write_file(logs + "/" + id_ + ".log", *text);
}

void NablaRunner::teardown() noexcept {
    tender_.stop();
    if (!dir_.empty()) remove_nabla_sandbox(dir_, id_);
    dir_.clear();
    init_pid_ = 0;
    if (link_) link_->teardown();
}

}  // namespace hap
