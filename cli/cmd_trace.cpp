// hapctl trace: the host kernel surface of any command, from its first
// instruction to its exit, stored like a measurement (runtime "command").
// The way to measure a native program, a VMM started by hand, or the KVM
// micro guest of the lab tests.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "command.h"
#include "engine/capture.h"
#include "engine/measurement.h"
#include "interrupt.h"
#include "options.h"
#include "process.h"
#include "task_table.h"
#include "text_table.h"
#include "trace_session.h"

namespace hap::cli {
namespace {

// The command is forked stopped on a pipe, so the pid filter is in place
// before its first instruction; closing the pipe lets it exec.
class HeldCommand {
public:
    explicit HeldCommand(const std::vector<std::string>& argv) {
        if (::pipe2(go_, O_CLOEXEC) != 0) throw UserError("pipe: " + std::string(std::strerror(errno)));
        pid_ = ::fork();
        if (pid_ < 0) throw UserError("fork: " + std::string(std::strerror(errno)));
        if (pid_ == 0) {
            char b;
            ::close(go_[1]);
            if (::read(go_[0], &b, 1) != 1) ::_exit(126);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            ::signal(SIGINT, SIG_DFL);
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::close(go_[0]);
    }
    ~HeldCommand() {
        if (go_[1] >= 0) ::close(go_[1]);
        if (!status_) {
            ::kill(pid_, SIGKILL);
            int st;
            ::waitpid(pid_, &st, 0);
        }
    }
    pid_t pid() const { return pid_; }
    // Lets it run and waits for it; on SIGINT/SIGTERM it is killed.
    int release_and_wait() {
        (void)!::write(go_[1], "x", 1);
        ::close(go_[1]);
        go_[1] = -1;
        int st = 0;
        for (;;) {
            pid_t r = ::waitpid(pid_, &st, WNOHANG);
            if (r == pid_) break;
            if (interrupted()) ::kill(pid_, SIGKILL);
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        status_ = st;
        return st;
    }

private:
    int go_[2] = {-1, -1};
    pid_t pid_ = -1;
    std::optional<int> status_;
};

std::string basename_of(const std::string& p) { return p.substr(p.rfind('/') + 1); }

}  // namespace

int cmd_trace(const std::vector<std::string>& args) {
    std::string mode = "auto", db, record, role = "workload";
    unsigned buffer_kb = 16384;
    std::vector<std::string> command;
    po::options_description desc("options");
    desc.add_options()
        ("mode,m", po::value(&mode)->default_value("auto"), "capture modes: auto, or a comma list of syscalls, kvm, function, function_graph")
        ("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")
        ("role", po::value(&role)->default_value("workload"), "role of the command's tasks: workload, runtime, vmm, vcpu, backend")
        ("buffer-kb", po::value(&buffer_kb)->default_value(16384), "ring buffer per CPU, KiB")
        ("record", po::value(&record), "also keep the raw capture in DIR")
        ("command", po::value(&command)->multitoken(), "the command and its arguments (after --)");
    po::positional_options_description pos;
    pos.add("command", -1);
    po::variables_map vm;
    if (!parse_options("trace", "[options] -- COMMAND [ARGS...]", desc, args, vm, &pos)) return 0;
    if (command.empty()) throw UserError("no command to trace", "hapctl trace [options] -- COMMAND [ARGS...]", kExitUsage);
    if (!parse_role(role)) throw UserError("unknown role '" + role + "'", "one of workload, runtime, vmm, vcpu, backend", kExitUsage);
    if (!find_program(command[0])) throw UserError(command[0] + ": command not found", "", kExitUsage);
    if (::geteuid() != 0) throw UserError("hapctl trace needs root: it configures tracefs", "run it as root");
    const std::string tracing_dir = require_tracefs();
    const auto wanted = resolve_capture_modes(mode, tracing_dir);
    auto progress = [](const std::string& l) { std::cerr << "hapctl: " << l << "\n"; };
    auto store = open_store_for_run(db, progress);
    for (const auto& line : TraceSession::clean_stale(tracing_dir, "/run/hap")) progress(line);

    RunStart start = new_run_start(tracing_dir);
    start.runtime = "command";
    start.workload = basename_of(command[0]);
    start.mode = modes_to_string(wanted);
    start.network = "host";
    start.settings_json = nlohmann::json{{"command", command}, {"buffer_kb_per_cpu", buffer_kb},
                                         {"window", "from the command's first instruction to its exit"}}
                              .dump();
    auto run_id = store->begin_run(start);
    if (!run_id) throw UserError(run_id.error().describe());

    int status = 0;
    RunOutcome outcome;
    try {
        HeldCommand cmd(command);
        CaptureRequest cr;
        cr.modes = wanted;
        cr.tracing_dir = tracing_dir;
        cr.buffer_kb = buffer_kb;
        cr.tasks = {TracedTask{cmd.pid(), role}};
        cr.record_dir = record;
        cr.record_meta = {{"kernel", start.kernel.release}, {"command", command}};
        cr.while_tracing = [&] {
            status = cmd.release_and_wait();
            if (interrupted()) throw UserError(fmt::format("interrupted by signal {}", interrupt_signal()), "", kExitInterrupted);
        };
        outcome = capture_run(cr).outcome;
        outcome.load_seconds = outcome.trace_seconds;
        if (auto st = store->complete_run(*run_id, outcome); !st) throw UserError(st.error().describe());
    } catch (const UserError& e) {
        (void)store->end_run(*run_id, e.exit_code() == kExitInterrupted ? "aborted" : "failed", e.what());
        throw;
    }
    const auto fig = figures_of(outcome);
    TextTable t({"run", "command", "mode", "kind", "unique", "by role", "events", "lost"});
    for (const auto& [kind, n] : fig.unique) {
        std::string roles;
        for (const auto& [r, m] : fig.by_role.at(kind)) roles += (roles.empty() ? "" : " ") + r + ":" + std::to_string(m);
        t.add({std::to_string(*run_id), start.workload, start.mode, kind, std::to_string(n), roles,
               std::to_string(outcome.events), std::to_string(outcome.lost_events)});
    }
    if (fig.unique.empty())
        t.add({std::to_string(*run_id), start.workload, start.mode, "-", "0", "", std::to_string(outcome.events),
               std::to_string(outcome.lost_events)});
    t.print(std::cout);
    std::cout << fmt::format("{} {} {}; stored in {}\n", start.workload,
                             WIFEXITED(status) ? "exited with" : "was killed by signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), db);
    return 0;
}

}  // namespace hap::cli
