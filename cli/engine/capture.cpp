#include "capture.h"

#include <sys/resource.h>
#include <sys/utsname.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "capture_files.h"
#include "files.h"
#include "function_retirer.h"
#include "interrupt.h"
#include "live_source.h"
#include "page_recorder.h"
#include "procfs.h"
#include "run_aggregate.h"
#include "trace_session.h"
#include "tracefs_dir.h"
#include "tracefs_shim.h"

namespace hap {
namespace {

// Streams the per-CPU buffers on a thread of its own while the work runs.
class Collector {
public:
    Collector(TraceSource& src, EventSink& sink) : src_(src), sink_(sink) {
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                // Nothing full to read: wait. 10 ms fill at most a few hundred KB
                // of a CPU's buffer (MBs) even under function_graph.
                if (src_.pump(sink_) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
    }
    ~Collector() { finish(); }
    void finish() {
        stop_.store(true);
        if (thread_.joinable()) thread_.join();
    }

private:
    TraceSource& src_;
    EventSink& sink_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

// A process gives its role to all its threads; a task named by a thread id
// (a vCPU or vhost thread of a VMM) gives it to that thread alone. Runners
// list processes before threads, so the threads' roles are seeded last.
void seed(TaskTable& table, const TracedTask& t) {
    const Role role = parse_role(t.role).value_or(Role::Unknown);
    auto tgid = thread_group_id(t.pid);
    if (tgid && *tgid != t.pid) {
        table.seed(t.pid, role, task_comm(t.pid));
        return;
    }
    for (pid_t tid : thread_ids(t.pid)) table.seed(tid, role, task_comm(tid));
}

// The program each seeded thread runs now: its ABI names syscalls that no
// entry-path record named (syscalls mode).
void seed_abis(TaskAbis& abis, const TaskTable& table) {
    for (const auto& [tid, t] : table.tasks())
        if (t.seeded) abis.seed(tid, elf_syscall_abi_of_file("/proc/" + std::to_string(tid) + "/exe"));
}


// A failed step names the kernel: what a tracefs knob accepts differs by
// release (issue 12), and a stored failure is read later, elsewhere.
std::string this_kernel() {
    utsname u{};
    return ::uname(&u) == 0 ? std::string("Linux ") + u.release : "this kernel";
}

RunOutcome to_outcome(const RunAggregate& agg, const TaskTable& tasks, const TraceSource& src) {
    RunOutcome o;
    for (const auto& h : agg.hits([&](uint64_t a) { return src.function_name(a); })) {
        StoredHit s;
        s.kind = symbol_kind_name(h.kind);
        s.role = role_name(h.role);
        s.raw = h.name;
        s.normalized = h.kind == SymbolKind::Function ? normalize_function(h.name) : h.name;
        s.count = h.count;
        o.hits.push_back(std::move(s));
    }
    for (const auto& [tid, t] : tasks.tasks())
        o.tasks.push_back(StoredTask{tid, t.parent, role_name(tasks.role_of(tid)), t.comm, t.seeded});
    o.events = agg.totals().events;
    o.interrupt_excluded = agg.totals().interrupt_excluded;
    o.gaps = agg.totals().gaps;
    o.lost_events = src.losses().total();
    return o;
}

// The retiring mode's parts, alive from before tracing starts to after it stops.
struct Retirement {
    NotraceIndex index;
    std::string index_note;  // why names are written instead of indexes ("" when indexes)
    double setup_seconds = 0;
    std::unique_ptr<NotraceWriter> writer;
    std::unique_ptr<FunctionRetirer> retirer;
};

// How often retired functions are written: each write's close makes the
// kernel walk all its ftrace records and patch the call sites (under the
// lab's TCG a patch flushes translated code). At start-up thousands come at
// once, later a trickle: a batch per quarter second keeps the patches few
// and still stops a hot function within a fraction of a second.
constexpr std::chrono::milliseconds kRetireBatchEvery{250};

std::unique_ptr<Retirement> start_retirement(const TraceSession& session, const LiveSource& source, const TaskTable& table,
                                             const CaptureRequest& req, RunAggregate& aggregate) {
    auto r = std::make_unique<Retirement>();
    const auto t0 = std::chrono::steady_clock::now();
    auto aff = read_file(session.tracing_dir() + "/available_filter_functions");
    if (!aff)
        throw UserError("--mode function_retire needs available_filter_functions on " + this_kernel() + ": " + aff.error().describe());
    r->index = NotraceIndex::build(*aff, source.kallsyms());
    const std::string notrace = session.buffer_dir() + "/set_ftrace_notrace";
    if (!path_exists(notrace)) throw UserError("--mode function_retire: " + this_kernel() + " has no " + notrace);
    // Indexes (5.1+) are checked, not assumed: a kernel that counted lines
    // it does not show would make every index name another function.
    if (auto probe = probe_notrace_indexes(notrace, r->index.samples(32)); !probe) {
        r->index.use_names();
        r->index_note = probe.error().describe();
    }
    r->writer = std::make_unique<NotraceWriter>(notrace, kRetireBatchEvery);
    r->retirer = std::make_unique<FunctionRetirer>(table, [idx = &r->index, w = r->writer.get()](uint64_t addr, uint64_t gen) {
        std::string token = idx->token(addr);
        if (token.empty()) return false;
        w->submit(std::move(token), gen);
        return true;
    });
    for (const auto& t : req.tasks) r->retirer->expect_role(parse_role(t.role).value_or(Role::Unknown));
    // A VM sandbox: roles settle once its last vCPU thread entered the guest.
    if (req.guest_exits) r->retirer->expect_vcpus(static_cast<unsigned>(req.guest_vcpus));
    // With syscalls captured, the entry path names each call's ABI
    // (ia32_sys_call, __x64_sys_read, ...): those records must keep coming.
    if (req.modes.count(CaptureMode::Syscalls)) r->retirer->protect(source.entry_path_index());
    aggregate.observe_counts(r->retirer.get());
    r->setup_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
}

// The record's queue holds as much as the kernel's own buffers by default: a
// writer that falls that far behind would have lost events had the reader
// waited for it.
size_t record_queue_pages(const CaptureRequest& req, int cpus, size_t page_size) {
    const size_t kb = req.record_queue_kb ? req.record_queue_kb : size_t(req.buffer_kb) * size_t(std::max(cpus, 1));
    return std::max<size_t>(kb * 1024 / std::max<size_t>(page_size, 1), 64);
}

}  // namespace

std::string require_tracefs() {
    auto dir = use_tracing_dir();
    if (!dir) throw UserError(dir.error().message, kTracefsMountHint);
    return *dir;
}

std::set<CaptureMode> resolve_capture_modes(const std::string& spec, const std::string& tracing_dir) {
    auto modes = parse_modes(spec);
    if (!modes) throw UserError(modes.error().message, "", kExitUsage);
    // "auto" chooses among all modes; a named list needs only its own probed.
    auto probed = probe_modes(tracing_dir, *modes);
    std::set<CaptureMode> wanted = modes->empty() ? resolve_auto(probed) : *modes;
    if (wanted.empty()) throw UserError("this kernel allows no capture mode hap knows", "see `hapctl doctor`");
    require_modes(wanted, probed);
    return wanted;
}

CaptureResult capture_run(const CaptureRequest& req) {
    if (req.modes.count(CaptureMode::FunctionRetire) && req.guest_exits && req.guest_vcpus <= 0)
        throw UserError("--mode function_retire cannot measure this VM sandbox: hap does not know how many vCPU threads its VMM makes, "
                        "and until all have entered the guest a VMM thread may still turn out to be one",
                        "measure it with --mode function or function_graph", kExitUsage);
    SessionConfig sc;
    sc.modes = req.modes;
    sc.guest_exits = req.guest_exits;
    sc.buffer_kb_per_cpu = req.buffer_kb;
    sc.state_dir = req.state_dir;
    // A window compares record times with CLOCK_MONOTONIC read here; "local"
    // (the default) is per-CPU sched_clock with no userspace counterpart.
    if (req.window) sc.trace_clock = "mono";
    for (const auto& t : req.tasks) sc.pids.push_back(t.pid);
    auto session = TraceSession::open(sc);
    if (!session) throw UserError("cannot set up tracing on " + this_kernel() + ": " + session.error().describe());

    std::unique_ptr<CaptureWriter> writer;
    if (!req.record_dir.empty()) {
        const bool functions = traces_functions(req.modes);
        auto w = CaptureWriter::create(req.record_dir, req.tracing_dir, (*session)->event_systems(), functions,
                                       (*session)->cpu_count());
        if (!w) throw UserError("cannot record the capture: " + w.error().describe());
        writer = std::move(*w);
    }
    auto source = LiveSource::open(**session);
    if (!source) throw UserError("cannot read trace buffers on " + this_kernel() + ": " + source.error().describe());
    // The pages go to a writer thread (page_recorder.h), so the reader keeps
    // the ring buffer's pace whatever the disk's. On a throw the collector
    // thread has stopped before the recorder is destroyed (before the source
    // and the writer), so its queue drains into files still open and nothing
    // submits to it any more.
    std::unique_ptr<PageRecorder> recorder;
    if (writer) {
        const size_t page = (*source)->page_size();
        writer->set_page_size(page);
        recorder = std::make_unique<PageRecorder>(
            [w = writer.get()](int cpu, const void* data, size_t size) { return w->write_page(cpu, data, size); },
            [w = writer.get()] { return w->close_pages(); }, page, record_queue_pages(req, (*session)->cpu_count(), page));
        (*source)->record_to(recorder.get());
    }

    TaskTable table;
    for (const auto& t : req.tasks) seed(table, t);
    RunAggregate aggregate(table, req.window);
    aggregate.count_exit_reasons(req.modes.count(CaptureMode::Kvm) > 0);
    seed_abis(aggregate.abis(), table);
    // Called on the collector's thread, the one that also updates `table`.
    aggregate.abis().set_exec_reader([&table](pid_t tid, uint64_t, std::string_view file, std::string_view comm) {
        const auto& tasks = table.tasks();
        const auto t = tasks.find(tid);
        return exec_abi_from_proc(tid, file, comm, t != tasks.end() ? t->second.parent : 0);
    });
    for (const auto& [tid, path] : req.first_exec) aggregate.abis().expect_exec(tid, elf_syscall_abi_of_file(path));
    if (traces_functions(req.modes))
        aggregate.use_entry_path((*source)->entry_path_index());
    // Declared after the session and source: destroyed first, so its writer
    // has stopped before the session empties set_ftrace_notrace.
    std::unique_ptr<Retirement> retire;
    if (req.modes.count(CaptureMode::FunctionRetire)) retire = start_retirement(**session, **source, table, req, aggregate);

    const auto t0 = std::chrono::steady_clock::now();
    // hapctl's own cost while it traces (reader thread included; the load
    // generator is a child and not counted).
    struct rusage ru0 {};
    ::getrusage(RUSAGE_SELF, &ru0);
    std::vector<TracedTask> late;
    {
        Collector collector(**source, aggregate);
        if (auto st = (*session)->start(); !st) throw UserError("cannot start tracing on " + this_kernel() + ": " + st.error().describe());
        if (req.rediscover) {
            for (const auto& t : req.rediscover()) {
                bool known = false;
                for (const auto& s : req.tasks) known = known || s.pid == t.pid;
                if (known) continue;
                // Its role counts before its tasks are traced; a role new to
                // the run empties the list (FunctionRetirer::expect_role).
                if (retire)
                    retire->retirer->expect_role(parse_role(t.role).value_or(Role::Unknown),
                                                 [w = retire->writer.get()] { return w->reset(); });
                (void)(*session)->add_pid(t.pid);
                late.push_back(t);
            }
        }
        if (req.while_tracing) req.while_tracing();  // a throw unwinds through the collector and session
        const Status stopped = (*session)->stop();
        collector.finish();
        if (retire) retire->writer->stop();
        // With tracing still on, the drain below would chase a live buffer;
        // with tracing off early, the counts are of part of the run.
        if (!stopped) throw UserError("cannot stop tracing on " + this_kernel() + ": " + stopped.error().describe());
    }
    (*source)->drain(aggregate);
    (*source)->close();
    for (const auto& t : late) {
        seed(table, t);
        // Read now, not at first sight: a late task may have exited (Unknown then).
        for (pid_t tid : thread_ids(t.pid)) aggregate.abis().seed(tid, elf_syscall_abi_of_file("/proc/" + std::to_string(tid) + "/exe"));
    }

    CaptureResult r;
    r.outcome = to_outcome(aggregate, table, **source);
    r.outcome.trace_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    struct rusage ru1 {};
    ::getrusage(RUSAGE_SELF, &ru1);
    auto secs = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6; };
    r.cpu_seconds = secs(ru1.ru_utime) - secs(ru0.ru_utime) + secs(ru1.ru_stime) - secs(ru0.ru_stime);
    r.peak_rss_kb = ru1.ru_maxrss;
    r.outside_window = aggregate.totals().outside_window;
    // How each syscall's ABI was learnt; unknown ones are stored as unknown:NR.
    const SyscallAbiSources abi = aggregate.abi_sources();
    r.outcome.settings_patch_json =
        nlohmann::json{{"syscall_abi", {{"entry_path", abi.entry_path}, {"program", abi.program},
                                        {"x32_bit", abi.x32_bit}, {"unknown", abi.unknown}}},
                       {"tracer", {{"cpu_seconds", r.cpu_seconds},
                                   {"cpu_share", r.outcome.trace_seconds > 0 ? r.cpu_seconds / r.outcome.trace_seconds : 0.0},
                                   {"peak_rss_kb", r.peak_rss_kb},
                                   {"events_per_second", r.outcome.trace_seconds > 0
                                                             ? static_cast<double>(r.outcome.events) / r.outcome.trace_seconds
                                                             : 0.0}}}}
            .dump();
    if (retire) {
        const auto w = retire->writer->stats();
        auto settings = nlohmann::json::parse(r.outcome.settings_patch_json);
        settings["retire"] = {{"by", retire->index.by_index() ? "index" : "name"},
                              {"index_note", retire->index_note},
                              {"functions_mapped", retire->index.mapped()},
                              {"filter_functions", retire->index.lines()},
                              {"retired", retire->retirer->retired()},
                              {"unmapped", retire->retirer->unmapped()},
                              {"unknown_role_records", retire->retirer->skipped_unknown_role()},
                              {"written", w.tokens_written},
                              {"batches", w.batches},
                              {"failed_batches", w.failed_batches},
                              {"resets", w.resets},
                              {"write_seconds", w.write_seconds},
                              {"longest_batch_seconds", w.longest_batch_seconds},
                              {"setup_seconds", retire->setup_seconds},
                              {"batch_ms", kRetireBatchEvery.count()},
                              {"last_error", w.last_error}};
        r.outcome.settings_patch_json = settings.dump();
        r.retire_summary = fmt::format("retired {} functions by {} in {} batches ({:.2f} s writing{})", w.tokens_written,
                                       retire->index.by_index() ? "index" : "name", w.batches, w.write_seconds,
                                       w.failed_batches ? fmt::format(", {} batches refused: {}", w.failed_batches, w.last_error) : "");
    }
    if (recorder) {
        (*source)->record_to(nullptr);
        RecordStatus rec = recorder->finish();
        nlohmann::json meta = req.record_meta;
        meta["modes"] = modes_to_string(req.modes);
        if (!sc.trace_clock.empty()) meta["trace_clock"] = sc.trace_clock;  // else the kernel's default
        meta["events"] = r.outcome.events;
        const LossCounts l = (*source)->losses();
        meta["losses"] = {{"overrun", l.overrun}, {"dropped", l.dropped}, {"commit_overrun", l.commit_overrun}};
        meta["tasks"] = nlohmann::json::array();
        for (const auto& t : r.outcome.tasks)
            if (t.discovered) meta["tasks"].push_back({{"tid", t.tid}, {"role", t.role}, {"comm", t.comm}});
        nlohmann::json seeded = nlohmann::json::array(), execs = nlohmann::json::array();
        for (const auto& [tid, a] : aggregate.abis().seeds()) seeded.push_back({{"tid", tid}, {"abi", syscall_abi_name(a)}});
        for (const auto& e : aggregate.abis().execs_seen())
            execs.push_back({{"tid", e.tid}, {"ts", e.ts}, {"abi", syscall_abi_name(e.abi)}});
        meta["syscall_abis"] = {{"seeded", seeded}, {"execs", execs}};
        meta["record"] = rec.to_json(recorder->queue_pages());
        // The run's figures came from the live stream and stand whatever the
        // disk did; a record that could not be finished is said so, not thrown.
        if (auto st = writer->finish(meta); !st && rec.complete()) {
            rec.gap = RecordGap::WriteError;
            rec.detail = st.error().describe() + " (meta.json not written: the capture cannot be replayed)";
        }
        r.record = rec;
        auto settings = nlohmann::json::parse(r.outcome.settings_patch_json);
        settings["record"] = rec.to_json(recorder->queue_pages());
        settings["record"]["dir"] = req.record_dir;
        r.outcome.settings_patch_json = settings.dump();
    }
    return r;
}

OutcomeFigures figures_of(const RunOutcome& o) {
    std::map<std::string, std::set<std::string>> all;
    std::map<std::string, std::map<std::string, std::set<std::string>>> role;
    for (const auto& h : o.hits) {
        all[h.kind].insert(h.normalized);
        role[h.kind][h.role].insert(h.normalized);
    }
    OutcomeFigures f;
    for (const auto& [k, s] : all) f.unique[k] = static_cast<int64_t>(s.size());
    for (const auto& [k, roles] : role)
        for (const auto& [r, s] : roles) f.by_role[k][r] = static_cast<int64_t>(s.size());
    return f;
}

std::string tracing_cost_line(const CaptureResult& captured) {
    const RunOutcome& o = captured.outcome;
    return fmt::format("tracing cost {:.0f} events/s over {:.1f} s, hapctl {:.2f} s CPU ({:.0f}% of one CPU), peak RSS {:.1f} MiB{}",
                       o.trace_seconds > 0 ? static_cast<double>(o.events) / o.trace_seconds : 0.0, o.trace_seconds,
                       captured.cpu_seconds, o.trace_seconds > 0 ? 100.0 * captured.cpu_seconds / o.trace_seconds : 0.0,
                       static_cast<double>(captured.peak_rss_kb) / 1024.0,
                       captured.retire_summary.empty() ? "" : "; " + captured.retire_summary);
}

}  // namespace hap
