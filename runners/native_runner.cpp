#include "native_runner.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "files.h"
#include "procfs.h"

namespace hap {
namespace {

std::atomic<int> g_seq{0};

// What the OCI spec mounts writable on the image's read-only root (oci_spec.cpp).
const std::vector<std::string> kScratchAlways = {"/tmp", "/run"};

}  // namespace

std::vector<std::string> missing_host_packages(const std::vector<std::string>& packages) {
    std::vector<std::string> missing;
    for (const auto& p : packages) {
        auto r = run_command({"dpkg-query", "-W", "-f=${Status}", p});
        if (!r || !r->succeeded() || r->out.find("install ok installed") == std::string::npos) missing.push_back(p);
    }
    return missing;
}

NativeRunner::NativeRunner(const RunnerOptions& opts, const Workload& workload) : opts_(opts), workload_(workload) {
    if (!opts_.platform.empty())
        throw UserError("--platform is for gVisor (runsc) only, not native", "drop --platform", kExitUsage);
}

void NativeRunner::prepare() {
    auto missing = missing_host_packages(workload_.debian_packages());
    if (!missing.empty()) {
        std::string list;
        for (const auto& p : missing) list += (list.empty() ? "" : " ") + p;
        throw UserError("--runtime native runs " + workload_.name() + " from the host's own packages, and " + list +
                            (missing.size() == 1 ? " is" : " are") + " not installed",
                        "apt-get install --no-install-recommends " + list);
    }
    const std::string bin = workload_.command().at(0);
    if (::access(bin.c_str(), X_OK) != 0)
        throw UserError("--runtime native needs " + bin + " on the host, and it is missing",
                        workload_.debian_packages().empty()
                            ? "native runs the service from the host, not from the file's " + workload_.spec().root.field +
                                  ": install it on the host"
                            : "reinstall the Debian package(s) " + join(workload_.debian_packages(), " "));
}

void NativeRunner::launch() {
    const int seq = g_seq++;
    link_ = std::make_unique<NetnsLink>(seq);
    link_->create_with_workload_ns();

    const std::string dir = opts_.state_dir + "/native";
    if (auto st = make_dirs(dir); !st) throw UserError(st.error().describe());
    log_ = dir + "/" + link_->workload_ns() + ".log";
    (void)::unlink(log_.c_str());

    std::vector<std::string> scratch = kScratchAlways;
    for (const auto& d : workload_.scratch_dirs()) {
        // A package's own directories exist on the host; make any that do not.
        if (auto st = make_dirs(d); !st) throw UserError(st.error().describe());
        scratch.push_back(d);
    }

    // Everything the child needs is made before fork(): between fork and exec
    // only async-signal-safe calls (hapctl may have other threads).
    const Argv argv = workload_.command();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // The environment the OCI spec gives the container, not hapctl's, then the workload file's.
    std::vector<std::string> env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"};
    for (const auto& e : workload_.environment()) env.push_back(e);
    std::vector<char*> envp;
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    // uid, gid as the host knows the name; nullopt = stay root.
    std::optional<std::pair<uint32_t, uint32_t>> user;
    if (!workload_.spec().user.empty()) user = resolve_user(workload_.spec().user, "/");
    const std::string workdir = workload_.spec().workdir;
    std::vector<std::string> mount_opts;
    for (const auto& d : scratch) {
        std::string o = d == "/tmp" ? "mode=1777" : "mode=755";
        // The service writes its own scratch paths as itself.
        if (user && d != "/tmp" && d != "/run") o += ",uid=" + std::to_string(user->first) + ",gid=" + std::to_string(user->second);
        mount_opts.push_back(o);
    }

    const std::string ns_path = link_->workload_ns_path();
    int ns = ::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) throw UserError(errno_error("cannot open " + ns_path).describe());
    int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) {
        ::close(ns);
        if (out >= 0) ::close(out);
        if (in >= 0) ::close(in);
        throw UserError(errno_error("cannot open " + log_).describe());
    }
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid == 0) {
        // Exit codes 120-125 say which step failed (read back below).
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphan survives a SIGKILLed hapctl
        if (::getppid() != parent) ::_exit(120);
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(out, 2);
        if (::setns(ns, CLONE_NEWNET) != 0) ::_exit(121);
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
            ::_exit(122);
        for (size_t i = 0; i < scratch.size(); ++i)
            if (::mount("tmpfs", scratch[i].c_str(), "tmpfs", MS_NOSUID | MS_NODEV, mount_opts[i].c_str()) != 0)
                ::_exit(123);
        if (!workdir.empty() && ::chdir(workdir.c_str()) != 0) ::_exit(125);
        if (user && (::setgroups(0, nullptr) != 0 || ::setresgid(user->second, user->second, user->second) != 0 ||
                     ::setresuid(user->first, user->first, user->first) != 0))
            ::_exit(125);
        reset_signals_for_exec();
        ::execve(args[0], args.data(), envp.data());
        ::_exit(124);
    }
    const int fork_errno = errno;
    ::close(ns);
    ::close(out);
    ::close(in);
    if (pid < 0) throw UserError(Error{"fork for " + argv[0], fork_errno}.describe());
    ::setpgid(pid, pid);
    child_ = ChildProcess(pid);

    // A workload that cannot start (port taken, module missing) ends at once:
    // say so now with its own words rather than as a probe timeout.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!child_.running()) {
        const int status = child_.wait_status().value_or(-1);
        std::string why;
        if (WIFEXITED(status)) {
            switch (WEXITSTATUS(status)) {
                case 121: why = "cannot join network namespace " + link_->workload_ns(); break;
                case 122: case 123: why = "cannot make its private scratch mounts"; break;
                case 124: why = "cannot execute " + argv[0]; break;
                case 125: why = "cannot enter service.workdir or become service.user"; break;
                default: why = "exit " + std::to_string(WEXITSTATUS(status)) + ": " + last_line_of_file(log_);
            }
        } else {
            why = "killed by signal " + std::to_string(WIFSIGNALED(status) ? WTERMSIG(status) : 0);
        }
        const std::string kept = opts_.state_dir + "/logs/native-" + workload_.name() + "-" + std::to_string(::getpid()) + ".log";
        (void)make_dirs(opts_.state_dir + "/logs");
        ::rename(log_.c_str(), kept.c_str());
        throw UserError("native " + workload_.name() + " ended at start: " + why, "full log: " + kept);
    }
}

Endpoint NativeRunner::endpoint() const { return endpoint_through(link_.get(), workload_.port()); }

std::vector<SandboxTask> NativeRunner::tasks() {
    std::vector<SandboxTask> out;
    const pid_t pid = child_.pid();
    if (pid <= 0 || !process_alive(pid)) return out;
    out.push_back(SandboxTask{pid, "workload", task_comm(pid)});
    for (pid_t d : descendants(pid)) out.push_back(SandboxTask{d, "workload", task_comm(d)});
    return out;
}

void NativeRunner::teardown() noexcept {
    child_.stop();  // SIGTERM to its process group by pid, SIGKILL after 5 s
    child_ = ChildProcess();
    if (link_) link_->teardown();
    link_.reset();
    if (!log_.empty()) {
        (void)::unlink(log_.c_str());
        log_.clear();
    }
}

}  // namespace hap
