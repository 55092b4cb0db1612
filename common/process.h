// Child processes from argument vectors only (never a shell string), each in
// its own process group so a terminal ^C reaches hapctl, which then tears
// children down in order instead of leaving half-stopped runtimes behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "error.h"

namespace hap {

using Argv = std::vector<std::string>;
std::string argv_to_string(const Argv& argv);  // for messages and logs only

struct CommandResult {
    int exit_code = -1;   // valid when signal == 0
    int signal = 0;       // the signal that ended it, or 0
    bool timed_out = false;
    std::string out;
    std::string err;
    bool succeeded() const { return signal == 0 && !timed_out && exit_code == 0; }
    // How it ended: "exit 3", "timed out", "killed by signal 9".
    std::string ended() const;
    // "exit 3: <last line of stderr>" style summary for error messages.
    std::string summary() const;
};

struct RunOptions {
    std::chrono::milliseconds timeout{60000};
    std::optional<std::string> stdin_data;
    std::vector<std::string> extra_env;  // "NAME=value", added to the environment
};

// Runs to completion (or timeout, then SIGKILL to its process group) and
// captures both output streams. Fails only when the program cannot be started.
Expected<CommandResult> run_command(const Argv& argv, const RunOptions& opts = {});

struct SpawnOptions {
    std::string stdout_path = "/dev/null";  // appended to
    std::string stderr_path = "/dev/null";
    bool die_with_parent = true;  // PR_SET_PDEATHSIG: no orphan survives a SIGKILLed hapctl
    // Directories hidden under an empty tmpfs in a private mount namespace of
    // the child only (a workaround tool for runtimes that probe host paths).
    std::vector<std::string> masked_dirs;
};

// A long-lived child: started detached from our terminal signals, stopped by pid.
class ChildProcess {
public:
    ChildProcess() = default;
    explicit ChildProcess(pid_t pid) : pid_(pid) {}
    ChildProcess(ChildProcess&& o) noexcept : pid_(o.pid_), status_(o.status_) { o.pid_ = -1; }
    ChildProcess& operator=(ChildProcess&& o) noexcept;
    ~ChildProcess();  // stops the child if it still runs

    pid_t pid() const { return pid_; }
    bool running();  // reaps it if it has ended
    std::optional<int> wait_status() const { return status_; }
    // SIGTERM to the group, wait up to grace, then SIGKILL; always reaps.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
    // Waits for the child to end by itself.
    bool wait_for(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    std::optional<int> status_;
};

Expected<ChildProcess> spawn_process(const Argv& argv, const SpawnOptions& opts = {});

// For a child between fork and exec (async-signal-safe): unblock every
// signal and restore the default actions hapctl changed (INT, TERM, PIPE, USR1).
void reset_signals_for_exec();

bool process_alive(pid_t pid);
std::optional<std::string> find_program(const std::string& name);  // PATH lookup

// A wait() status in words: "exit 1", "killed by signal 9".
std::string describe_status(int status);

}  // namespace hap
