// hapctl trace: the host kernel surface of any command, from its first
// instruction to its exit or in a window of it (--delay, --duration,
// SIGUSR1: cmd_trace_window.h), stored like a measurement (runtime "command").
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

#include "cell_figures.h"
#include "cmd_trace_window.h"
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
// before its first instruction; closing the pipe lets it exec. It leads a
// process group of its own, so that stopping it (the window's end, an
// interrupt) stops what it started too: `-- sh -c 'a; b'` leaves no b.
class HeldCommand {
public:
    explicit HeldCommand(const std::vector<std::string>& argv) {
        if (::pipe2(go_, O_CLOEXEC) != 0) throw UserError("pipe: " + std::string(std::strerror(errno)));
        pid_ = ::fork();
        if (pid_ < 0) throw UserError("fork: " + std::string(std::strerror(errno)));
        if (pid_ == 0) {
            char b;
            ::setpgid(0, 0);
            ::close(go_[1]);
            if (::read(go_[0], &b, 1) != 1) ::_exit(126);
            std::vector<char*> args;
            for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
            args.push_back(nullptr);
            reset_signals_for_exec();  // not hapctl's SIGPIPE or SIGUSR1 dispositions
            ::execvp(args[0], args.data());
            ::_exit(127);
        }
        ::setpgid(pid_, pid_);  // both sides set it: no race with the kills below
        ::close(go_[0]);
    }
    ~HeldCommand() {
        if (go_[1] >= 0) ::close(go_[1]);
        ::kill(-pid_, SIGKILL);  // what it left behind, too
        if (!status_) {
            int st;
            ::waitpid(pid_, &st, 0);
        }
    }
    pid_t pid() const { return pid_; }
    // Lets it exec.
    void release() {
        (void)!::write(go_[1], "x", 1);
        ::close(go_[1]);
        go_[1] = -1;
    }
    // Its wait status once it has exited, without blocking.
    std::optional<int> poll() {
        int st = 0;
        if (!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
        return status_;
    }
    // To its whole process group.
    void signal(int sig) { ::kill(-pid_, sig); }

private:
    int go_[2] = {-1, -1};
    pid_t pid_ = -1;
    std::optional<int> status_;
};

std::string basename_of(const std::string& p) { return p.substr(p.rfind('/') + 1); }

// How long a command stopped at the window's end has for SIGTERM before SIGKILL.
constexpr uint64_t kStopGraceNs = 2'000'000'000;

}  // namespace

int cmd_trace(const std::vector<std::string>& args) {
    std::string mode = "auto", db, record, role = "workload", delay, duration;
    unsigned buffer_kb = 16384;
    bool wait_signal = false;
    std::vector<std::string> command;
    po::options_description desc("options");
    desc.add_options()
        ("mode,m", po::value(&mode)->default_value("auto"), "capture modes: auto, or a comma list of syscalls, kvm, function, function_graph, function_retire (function, with each function untraced once every role reached it; stored as its own mode)")
        ("db", po::value(&db)->default_value(default_db_path()), "SQLite store ($HAP_DB)")
        ("role", po::value(&role)->default_value("workload"), "role of the command's tasks: workload, runtime, vmm, vcpu, backend")
        ("buffer-kb", po::value(&buffer_kb)->default_value(16384), "ring buffer per CPU, KiB")
        ("delay", po::value(&delay)->value_name("SECONDS"),
         "count only from SECONDS (fractions allowed) after the command starts, as perf's --delay; its start-up is "
         "traced to follow forks and execs, not counted")
        ("duration", po::value(&duration)->value_name("SECONDS"),
         "count for SECONDS from the window's start, then stop the command (SIGTERM, SIGKILL 2 s later) and report, "
         "as perf stat --timeout does")
        ("wait-signal", po::bool_switch(&wait_signal),
         "count from the first SIGUSR1 hapctl receives (kill -USR1 <hapctl pid>). Without it SIGUSR1 still opens a "
         "--delay window early")
        ("record", po::value(&record), "also keep the raw capture in DIR")
        ("command", po::value(&command)->multitoken(), "the command and its arguments (after --)");
    po::positional_options_description pos;
    pos.add("command", -1);
    po::variables_map vm;
    if (!parse_options("trace", "[options] -- COMMAND [ARGS...]", desc, args, vm, &pos)) return 0;
    TraceWindowSpec window_spec;
    if (vm.count("delay")) window_spec.delay_s = parse_seconds("delay", delay, true);
    if (vm.count("duration")) window_spec.duration_s = parse_seconds("duration", duration, false);
    window_spec.wait_signal = wait_signal;
    if (command.empty()) throw UserError("no command to trace", "hapctl trace [options] -- COMMAND [ARGS...]", kExitUsage);
    if (!parse_role(role)) throw UserError("unknown role '" + role + "'", "one of workload, runtime, vmm, vcpu, backend", kExitUsage);
    if (!find_program(command[0])) throw UserError(command[0] + ": command not found", "", kExitUsage);
    if (::geteuid() != 0) throw UserError("hapctl trace needs root: it configures tracefs", "run it as root");
    const std::string tracing_dir = require_tracefs();
    const auto wanted = resolve_capture_modes(mode, tracing_dir);
    auto progress = [](const std::string& l) { std::cerr << "hapctl: " << l << "\n"; };
    auto store = open_store_for_run(db, progress);
    for (const auto& line : TraceSession::clean_stale(tracing_dir, "/run/hap")) progress(line);

    RunStart start = new_run_start(tracing_dir, wanted);
    start.runtime = "command";
    start.workload = basename_of(command[0]);
    start.mode = modes_to_string(wanted);
    start.network = "host";
    start.settings_json = nlohmann::json{{"command", command}, {"buffer_kb_per_cpu", buffer_kb},
                                         {"window", window_settings(window_spec)}}
                              .dump();
    auto run_id = store->begin_run(start);
    if (!run_id) throw UserError(run_id.error().describe());

    int status = 0;
    RunOutcome outcome;
    std::optional<RecordStatus> record_status;
    TraceWindow window(window_spec);
    try {
        HeldCommand cmd(command);
        CaptureRequest cr;
        cr.modes = wanted;
        cr.tracing_dir = tracing_dir;
        cr.buffer_kb = buffer_kb;
        cr.tasks = {TracedTask{cmd.pid(), role}};
        cr.first_exec = {{cmd.pid(), *find_program(command[0])}};  // the file execvp will load
        cr.window = window.counting();
        cr.record_dir = record;
        cr.record_meta = {{"kernel", start.kernel.release}, {"command", command}, {"window", window_settings(window_spec)}};
        bool stopped = false;
        uint64_t end_ns = 0;
        cr.while_tracing = [&] {
            if (window_spec.wait_signal) progress(fmt::format("counting starts at SIGUSR1: kill -USR1 {}", ::getpid()));
            window.command_started(mono_now_ns());
            cmd.release();
            std::optional<uint64_t> term_at;
            for (;;) {
                if (auto st = cmd.poll()) {
                    status = *st;
                    break;
                }
                const uint64_t now = mono_now_ns();
                if (auto line = window.tick(now); !line.empty()) progress(line);
                if (interrupted()) cmd.signal(SIGKILL);
                // The window is over: the command has nothing left to give
                // the figures, so it is stopped as perf stat --timeout stops its workload.
                if (window.closed(now) && !term_at) {
                    cmd.signal(SIGTERM);
                    term_at = now;
                    stopped = true;
                } else if (term_at && now - *term_at > kStopGraceNs) {
                    cmd.signal(SIGKILL);
                }
                // Not every 2 ms: each wake-up costs (in a TCG lab, a third of
                // hapctl's CPU while tracing went to this loop). The window's
                // edges are record timestamps; this only bounds how late the
                // command's exit is seen or a stop is sent.
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            end_ns = mono_now_ns();
            if (interrupted()) throw UserError(fmt::format("interrupted by signal {}", interrupt_signal()), "", kExitInterrupted);
        };
        auto captured = capture_run(cr);
        outcome = captured.outcome;
        record_status = captured.record;
        if (!window.opened_by(end_ns))
            throw UserError(fmt::format("{} exited {:.1f} s after it started, before the window opened: nothing was counted",
                                        start.workload, static_cast<double>(end_ns - window.command_start_ns()) / 1e9),
                            window_spec.delay_s ? "use a shorter --delay" : "send SIGUSR1 while the command runs");
        // Only for a run that counted something: a refusal stays one line.
        progress(tracing_cost_line(captured));
        const auto patch = window.outcome_patch(end_ns, stopped, captured.outside_window);
        outcome.load_seconds = window.counting() ? patch["window"].value("counted_s", 0.0) : outcome.trace_seconds;
        auto settings = nlohmann::json::parse(outcome.settings_patch_json.empty() ? "{}" : outcome.settings_patch_json);
        settings.merge_patch(patch);
        outcome.settings_patch_json = settings.dump();
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
    if (fig.unique.count("function")) std::cout << "function unique = hap_fn; " << kHapFnCounts << "; `hapctl report` shows both\n";
    if (window.counting()) {
        const auto w = nlohmann::json::parse(outcome.settings_patch_json)["window"];
        std::cout << fmt::format("counted {:.1f} s from {:.1f} s after the start ({}){}; {} records outside the window not counted\n",
                                 w.value("counted_s", 0.0), w.value("start_s", 0.0),
                                 w.value("started_by", "") == "signal" ? "SIGUSR1" : "--delay",
                                 w.value("stopped_command", false) ? ", then stopped the command" : "",
                                 w.value("outside_window_records", uint64_t{0}));
    }
    if (record_status) std::cout << fmt::format("record {}: {}\n", record, record_status->summary());
    std::cout << fmt::format("{} {} {}; stored in {}\n", start.workload,
                             WIFEXITED(status) ? "exited with" : "was killed by signal",
                             WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), db);
    return 0;
}

}  // namespace hap::cli
