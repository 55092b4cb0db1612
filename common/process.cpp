#include "process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "files.h"

namespace hap {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_argv(const Argv& argv) {
    std::vector<char*> v;
    for (const auto& a : argv) v.push_back(const_cast<char*>(a.c_str()));
    v.push_back(nullptr);
    return v;
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(std::vector<char*>& args, bool die_with_parent) {
    ::setpgid(0, 0);
    reset_signals_for_exec();
    if (die_with_parent) ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execvp(args[0], args.data());
    ::_exit(127);
}

void fill_status(CommandResult& r, int status) {
    if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
}

}  // namespace

void reset_signals_for_exec() {
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGUSR1, SIG_DFL);  // trace's window signal, ignored once its capture is over
}

std::string argv_to_string(const Argv& argv) {
    std::string s;
    for (const auto& a : argv) {
        if (!s.empty()) s += ' ';
        s += a.find(' ') == std::string::npos ? a : "'" + a + "'";
    }
    return s;
}

std::string CommandResult::summary() const {
    // All of stderr on one line: tools like docker put the cause first and
    // a "see --help" line last.
    std::string last;
    for (const auto& line : split(trim(err.empty() ? out : err), '\n'))
        if (!trim(line).empty()) last += (last.empty() ? "" : " / ") + trim(line);
    if (last.size() > 400) last = last.substr(0, 400) + "...";
    return last.empty() ? ended() : ended() + ": " + last;
}

std::string CommandResult::ended() const {
    return timed_out ? "timed out" : signal ? "killed by signal " + std::to_string(signal) : "exit " + std::to_string(exit_code);
}

Expected<CommandResult> run_command(const Argv& argv, const RunOptions& opts) {
    if (argv.empty()) return Error{"empty command", EINVAL};
    if (!find_program(argv[0])) return Error{argv[0] + " not found in PATH", ENOENT};
    int out_pipe[2], err_pipe[2], in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) || ::pipe2(err_pipe, O_CLOEXEC) || ::pipe2(in_pipe, O_CLOEXEC))
        return errno_error("pipe");
    auto args = c_argv(argv);
    std::vector<std::string> env_store;
    pid_t pid = ::fork();
    if (pid < 0) return errno_error("fork for " + argv[0]);
    if (pid == 0) {
        ::dup2(in_pipe[0], 0);
        ::dup2(out_pipe[1], 1);
        ::dup2(err_pipe[1], 2);
        for (const auto& kv : opts.extra_env) ::putenv(const_cast<char*>(kv.c_str()));
        exec_child(args, true);
    }
    ::close(in_pipe[0]);
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (opts.stdin_data) {
        // Inputs are small (configs): a blocking write is fine before reading.
        const std::string& d = *opts.stdin_data;
        size_t done = 0;
        while (done < d.size()) {
            ssize_t n = ::write(in_pipe[1], d.data() + done, d.size() - done);
            if (n <= 0 && errno != EINTR) break;
            if (n > 0) done += static_cast<size_t>(n);
        }
    }
    ::close(in_pipe[1]);

    CommandResult r;
    const auto deadline = Clock::now() + opts.timeout;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    int open_fds = 2;
    char buf[8192];
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::kill(pid, SIGKILL);
            break;
        }
        int n = ::poll(fds, 2, static_cast<int>(std::min<long>(left.count(), 200)));
        if (n < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
            if (got > 0) {
                (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(got));
            } else if (got == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    fill_status(r, status);
    if (r.exit_code == 127 && r.signal == 0 && r.err.empty()) r.err = "cannot execute " + argv[0];
    return r;
}

Expected<ChildProcess> spawn_process(const Argv& argv, const SpawnOptions& opts) {
    if (argv.empty()) return Error{"empty command", EINVAL};
    if (!find_program(argv[0])) return Error{argv[0] + " not found in PATH", ENOENT};
    auto args = c_argv(argv);
    int out = ::open(opts.stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int err = ::open(opts.stderr_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || err < 0 || in < 0) return errno_error("cannot open output files for " + argv[0]);
    pid_t pid = ::fork();
    if (pid < 0) return errno_error("fork for " + argv[0]);
    if (pid == 0) {
        ::dup2(in, 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        if (!opts.masked_dirs.empty()) {
            if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0)
                ::_exit(126);
            for (const auto& d : opts.masked_dirs)
                if (::mount("tmpfs", d.c_str(), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k") != 0)
                    ::_exit(126);
        }
        exec_child(args, opts.die_with_parent);
    }
    ::close(in);
    ::close(out);
    ::close(err);
    ::setpgid(pid, pid);  // also done in the child; whichever runs first wins the race
    return ChildProcess(pid);
}

ChildProcess& ChildProcess::operator=(ChildProcess&& o) noexcept {
    if (this != &o) {
        stop();
        pid_ = o.pid_;
        status_ = o.status_;
        o.pid_ = -1;
    }
    return *this;
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::running() {
    if (pid_ <= 0 || status_) return false;
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = st;
        return false;
    }
    return r == 0;
}

bool ChildProcess::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (running()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
    if (!running()) return;
    ::kill(-pid_, SIGTERM);
    ::kill(pid_, SIGTERM);
    if (!wait_for(grace)) {
        ::kill(-pid_, SIGKILL);
        ::kill(pid_, SIGKILL);
        int st = 0;
        while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
        }
        status_ = st;
    }
}

bool process_alive(pid_t pid) {
    if (pid <= 0) return false;
    if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
    // A zombie is not alive for our purposes (its owner is gone).
    auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    auto close_paren = stat->rfind(')');
    return close_paren == std::string::npos || close_paren + 2 >= stat->size() ||
           (*stat)[close_paren + 2] != 'Z';
}

std::optional<std::string> find_program(const std::string& name) {
    auto is_exec = [](const std::string& p) {
        struct stat st;
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (name.find('/') != std::string::npos) return is_exec(name) ? std::optional(name) : std::nullopt;
    const char* path = std::getenv("PATH");
    std::string p = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (const auto& dir : split(p, ':')) {
        std::string cand = (dir.empty() ? "." : dir) + "/" + name;
        if (is_exec(cand)) return cand;
    }
    return std::nullopt;
}

std::string describe_status(int status) {
    if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
}

}  // namespace hap
