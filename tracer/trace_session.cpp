#include "trace_session.h"

#include <unistd.h>

#include <cstdlib>

#include "files.h"
#include "loss_counter.h"
#include "procfs.h"
#include "tracefs_dir.h"
#include "process.h"
#include "tracefs_shim.h"

namespace hap {
namespace {

// By CaptureMode: the retiring mode is the function tracer.
const char* kTracer[] = {"", "", "function", "function_graph", "function"};
constexpr CaptureMode kFunctionModes[] = {CaptureMode::Function, CaptureMode::FunctionGraph, CaptureMode::FunctionRetire};

std::string tids_of(const std::vector<pid_t>& pids) {
    std::string s;
    for (pid_t p : pids) {
        auto tids = thread_ids(p);
        if (tids.empty()) tids.push_back(p);  // a task that is gone still costs nothing
        for (pid_t t : tids) s += std::to_string(t) + " ";
    }
    return s;
}

}  // namespace

Expected<std::unique_ptr<TraceSession>> TraceSession::open(const SessionConfig& cfg) {
    auto dir = use_tracing_dir();
    if (!dir) return dir.error();
    if (::geteuid() != 0) return Error{"tracing needs root", EPERM};
    std::unique_ptr<TraceSession> s(new TraceSession());
    s->tracing_dir_ = *dir;
    s->modes_ = cfg.modes;
    s->guest_exits_ = cfg.guest_exits;
    clean_stale(s->tracing_dir_, cfg.state_dir);
    s->snapshot_ = std::make_unique<KnobSnapshot>(cfg.state_dir + "/knobs-" + std::to_string(::getpid()));
    if (auto st = s->configure(cfg); !st) {
        s->teardown();
        return st.error();
    }
    return s;
}

TraceSession::~TraceSession() { teardown(); }

Status TraceSession::configure(const SessionConfig& cfg) {
    // function_graph lives in instances only since 6.11: fall back to the top
    // level (saving every knob) when the instance does not offer the tracer.
    bool need_top = false;
    const std::string name = kInstancePrefix + std::to_string(::getpid());
    bool is_new = false;
    instance_ = hap_tracefs_instance_create(name.c_str(), &is_new);
    if (!instance_) return errno_error("cannot create tracefs instance " + name);
    if (!is_new) {  // ours from an earlier life of this pid: start clean
        hap_tracefs_instance_destroy(instance_);
        hap_tracefs_instance_free(instance_);
        instance_ = hap_tracefs_instance_create(name.c_str(), &is_new);
        if (!instance_) return errno_error("cannot recreate tracefs instance " + name);
    }
    char* idir = hap_tracefs_instance_dir(instance_);
    buffer_dir_ = idir ? idir : "";
    std::free(idir);
    for (auto m : kFunctionModes) {
        if (!modes_.count(m)) continue;
        auto avail = read_file(buffer_dir_ + "/available_tracers");
        need_top = !avail || (" " + trim(*avail) + " ").find(std::string(" ") + kTracer[int(m)] + " ") ==
                                 std::string::npos;
    }
    if (need_top) {
        hap_tracefs_instance_destroy(instance_);
        hap_tracefs_instance_free(instance_);
        instance_ = nullptr;
        buffer_dir_ = tracing_dir_;
    }

    // New instances start with tracing on: turn it off before anything else,
    // or unfiltered events are recorded (TRACEFS-NOTES.md).
    if (auto st = knob("tracing_on", "0"); !st) return st;
    // Before anything is recorded: changing the clock empties the buffers.
    if (!cfg.trace_clock.empty())
        if (auto st = knob("trace_clock", cfg.trace_clock); !st) return st;
    if (auto st = knob("buffer_size_kb", std::to_string(cfg.buffer_kb_per_cpu)); !st) return st;
    // 0: a reader is woken for every page, so buffers are streamed, not left to fill.
    if (auto st = knob("buffer_percent", "0"); !st) return st;
    // Drop new records rather than overwrite old ones: both lose data, but
    // drops are counted per CPU ("dropped events") just as overruns are.
    if (auto st = knob("options/overwrite", "0"); !st) return st;
    if (auto st = knob("options/event-fork", "1"); !st) return st;
    if (auto st = knob("set_event_pid", ""); !st) return st;
    if (traces_functions(modes_))
        if (auto st = knob("set_ftrace_pid", ""); !st) return st;
    // The retiring mode appends to set_ftrace_notrace while it traces. Start
    // from an empty list (at the top level the old one is saved first, and
    // written back by restore() or, after a SIGKILL, restore_stale()).
    if (modes_.count(CaptureMode::FunctionRetire))
        if (auto st = knob("set_ftrace_notrace", ""); !st) return st;

    for (pid_t p : cfg.pids)
        if (auto st = add_pid(p); !st) return st;

    if (auto st = enable_event("sched", "sched_process_fork"); !st) return st;
    if (auto st = enable_event("sched", "sched_process_exit"); !st) return st;
    if (auto st = enable_event("sched", "sched_process_exec"); !st) return st;
    if (modes_.count(CaptureMode::Syscalls))
        if (auto st = enable_event("raw_syscalls", "sys_enter"); !st) return st;
    if (modes_.count(CaptureMode::Kvm)) {
        for (const char* ev : {"kvm_exit", "kvm_hypercall", "kvm_pio", "kvm_mmio"})
            if (auto st = enable_event("kvm", ev); !st) return st;
    } else if (guest_exits_) {
        if (auto st = enable_event("kvm", "kvm_exit"); !st) return st;
    }
    for (auto m : kFunctionModes)
        if (modes_.count(m))
            if (auto st = set_function_tracer(m); !st) return st;
    return {};
}

Status TraceSession::knob(const std::string& leaf, const std::string& value) {
    const std::string path = buffer_dir_ + "/" + leaf;
    if (instance_) {
        auto st = write_file(path, value + "\n");
        if (!st) return Error{"cannot set " + leaf + " to '" + value + "' in " + buffer_dir_, st.error().err};
        return {};
    }
    auto st = snapshot_->set(path, value);
    if (!st) return Error{"cannot set " + leaf + " to '" + value + "'", st.error().err};
    return {};
}

Status TraceSession::enable_event(const std::string& system, const std::string& event) {
    const std::string leaf = "events/" + system + "/" + event + "/enable";
    if (!path_exists(buffer_dir_ + "/" + leaf))
        return Error{"event " + system + ":" + event + " does not exist on this kernel", ENOENT};
    return knob(leaf, "1");
}

Status TraceSession::set_function_tracer(CaptureMode mode) {
    // Tracer options were global across instances until ~6.19: save the
    // top-level values even when the instance is ours (TRACEFS-NOTES.md).
    for (const char* opt : {"options/function-fork", "options/funcgraph-irqs"}) {
        const std::string top = tracing_dir_ + "/" + opt;
        if (instance_ && path_exists(top)) {
            auto cur = read_file(top);
            if (cur) (void)snapshot_->set(top, trim(*cur));
        }
    }
    if (auto st = knob("options/function-fork", "1"); !st) return st;
    if (mode == CaptureMode::FunctionGraph && path_exists(buffer_dir_ + "/options/funcgraph-irqs"))
        if (auto st = knob("options/funcgraph-irqs", "0"); !st) return st;
    auto st = knob("current_tracer", kTracer[int(mode)]);
    if (!st)
        return Error{std::string("the kernel refused the ") + kTracer[int(mode)] + " tracer", st.error().err};
    return {};
}

Status TraceSession::add_pid(pid_t pid) {
    std::string tids = tids_of({pid});
    for (const char* leaf : {"set_event_pid", "set_ftrace_pid"}) {
        if (std::string(leaf) == "set_ftrace_pid" && !traces_functions(modes_)) continue;
        // configure() cleared (and at the top level saved) both files first.
        auto st = append_file(buffer_dir_ + "/" + leaf, tids + "\n");
        if (!st) return Error{std::string("cannot add pids to ") + leaf, st.error().err};
    }
    return {};
}

Status TraceSession::start() {
    baseline_ = read_loss_counters(buffer_dir_);
    if (auto st = knob("tracing_on", "1"); !st) return st;
    running_ = true;
    return {};
}

Status TraceSession::stop() {
    if (!running_) return {};
    running_ = false;
    // The kernel can turn a buffer off by itself (a traceoff trigger,
    // tracing_off() on an error path), and so can another tracer at the top
    // level: records stop coming and nothing reports it. Read before
    // writing, so a run whose tracing ended early fails instead of counting
    // what came before as the whole.
    auto was = read_file(buffer_dir_ + "/tracing_on");
    auto st = knob("tracing_on", "0");
    losses_ = read_loss_counters(buffer_dir_) - baseline_;
    if (!st) return st;
    if (was && trim(*was) == "0")
        return Error{"tracing in " + buffer_dir_ + " was turned off before hap stopped it: records stopped coming", 0};
    return {};
}

std::vector<std::string> TraceSession::event_systems() const {
    std::vector<std::string> s{"sched"};
    if (modes_.count(CaptureMode::Syscalls)) s.push_back("raw_syscalls");
    if (modes_.count(CaptureMode::Kvm) || guest_exits_) s.push_back("kvm");
    if (traces_functions(modes_)) s.push_back("ftrace");
    return s;
}

int TraceSession::cpu_count() const {
    int n = 0;
    for (const auto& name : list_dir(buffer_dir_ + "/per_cpu")) n += name.rfind("cpu", 0) == 0;
    return n;
}

void TraceSession::teardown() {
    (void)stop();
    // Retired functions out first, whatever follows: should the instance
    // stay (EBUSY below), it must not keep a list that shrinks the next trace.
    if (modes_.count(CaptureMode::FunctionRetire) && !buffer_dir_.empty())
        (void)write_file(buffer_dir_ + "/set_ftrace_notrace", "\n");
    if (instance_) {
        // Removing the instance drops its buffers, events and filters at once.
        if (hap_tracefs_instance_destroy(instance_) != 0) {
            // EBUSY while a reader still holds trace_pipe_raw; callers close
            // readers first, so this is a bug worth hearing about.
            (void)write_file(buffer_dir_ + "/tracing_on", "0\n");
        }
        hap_tracefs_instance_free(instance_);
        instance_ = nullptr;
    } else if (!buffer_dir_.empty()) {
        // Top level: events and tracer back off, then every saved knob back.
        (void)write_file(buffer_dir_ + "/current_tracer", "nop\n");
        for (const auto& sys : event_systems()) (void)write_file(buffer_dir_ + "/events/" + sys + "/enable", "0\n");
    }
    if (snapshot_) snapshot_->restore();
}

std::vector<std::string> TraceSession::clean_stale(const std::string& tracing_dir, const std::string& state_dir) {
    std::vector<std::string> done = KnobSnapshot::restore_stale(state_dir);
    for (const auto& name : list_dir(tracing_dir + "/instances")) {
        if (name.rfind(kInstancePrefix, 0) != 0) continue;
        std::string rest = name.substr(std::string(kInstancePrefix).size());
        if (rest.rfind("probe_", 0) == 0) rest = rest.substr(6);
        pid_t owner = 0;
        try {
            owner = std::stoi(rest);
        } catch (...) {
            continue;
        }
        if (owner == ::getpid() || process_alive(owner)) continue;
        const std::string path = tracing_dir + "/instances/" + name;
        (void)write_file(path + "/tracing_on", "0\n");
        // A retiring session's list goes first: if the instance cannot be
        // removed, it still traces nothing less than it should.
        if (path_exists(path + "/set_ftrace_notrace")) (void)write_file(path + "/set_ftrace_notrace", "\n");
        if (::rmdir(path.c_str()) == 0) done.push_back("removed stale tracefs instance " + name);
    }
    return done;
}

}  // namespace hap
