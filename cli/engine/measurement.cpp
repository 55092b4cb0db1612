#include "measurement.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <thread>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "files.h"
#include "host_facts.h"
#include "interrupt.h"
#include "leftovers.h"
#include "live_source.h"
#include "procfs.h"
#include "run_aggregate.h"
#include "runner.h"
#include "store.h"
#include "trace_session.h"
#include "tracefs_shim.h"

namespace hap {
namespace {

using Clock = std::chrono::steady_clock;

std::string new_uuid() {
    unsigned char b[16] = {};
    int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        (void)!::read(fd, b, sizeof b);
        ::close(fd);
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    return fmt::format("{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
                       b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                       b[15]);
}

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check_interrupt() {
    if (interrupted())
        throw UserError(fmt::format("interrupted by signal {}", interrupt_signal()), "", kExitInterrupted);
}

// Streams the per-CPU buffers on a thread of its own while the load runs.
class Collector {
public:
    Collector(TraceSource& src, EventSink& sink) : src_(src), sink_(sink) {
        thread_ = std::thread([this] {
            while (!stop_.load()) {
                if (src_.pump(sink_) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
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

}  // namespace

MeasureResult run_measurement(const MeasureRequest& req, const std::function<void(const std::string&)>& progress) {
    // Everything that can be refused is refused before anything is stored.
    if (req.reps < 1 || req.reps > 1000) throw UserError("--reps must be between 1 and 1000", "", kExitUsage);
    if (req.duration.count() < 1) throw UserError("--duration must be at least 1 second", "", kExitUsage);
    auto modes = parse_modes(req.mode_spec);
    if (!modes) throw UserError(modes.error().message, "", kExitUsage);
    auto workload = make_workload(req.workload);
    RunnerOptions ro{req.runtime, req.platform, req.state_dir, req.cache_dir, req.docker_host};
    auto runner = make_runner(ro, *workload);
    if (::geteuid() != 0)
        throw UserError("hapctl measure needs root: it configures tracefs and starts container runtimes",
                        "run it as root (sudo hapctl ...)");
    for (const auto& tool : workload->host_tools())
        if (!find_program(tool)) throw UserError("load generator " + tool + " not found", "run scripts/setup");
    const char* tdir = hap_tracefs_dir();
    if (!tdir)
        throw UserError("tracefs is not mounted", "mount -t tracefs nodev /sys/kernel/tracing (scripts/setup does)");
    const std::string tracing_dir = tdir;
    auto probed = probe_modes(tracing_dir);
    std::set<CaptureMode> wanted = modes->empty() ? resolve_auto(probed) : *modes;
    if (wanted.empty()) throw UserError("this kernel allows no capture mode hap knows", "see `hapctl doctor`");
    require_modes(wanted, probed);
    const std::string mode_str = modes_to_string(wanted);

    auto store_r = Store::open(req.db_path);
    if (!store_r) throw UserError(store_r.error().describe(), "choose another --db, or move the damaged file away");
    Store& store = **store_r;
    if (store.recovered_aborted())
        progress(fmt::format("marked {} run(s) of a dead hapctl as aborted", store.recovered_aborted()));
    for (const auto& line : TraceSession::clean_stale(tracing_dir, req.state_dir)) progress(line);
    for (const auto& line : clean_runner_leftovers(req.state_dir)) progress(line);

    // Whatever prepare() starts (a private dockerd) stops on every way out.
    struct Shutdown {
        Runner& r;
        ~Shutdown() { r.shutdown(); }
    } shutdown_guard{*runner};
    MeasureResult result{runner->runtime(), runner->platform(), workload->name(), mode_str, runner->network(), {}};
    progress(fmt::format("preparing {} image for {}", workload->name(), runner->runtime()));
    runner->prepare();
    check_interrupt();

    const HostFacts host = read_host_facts();
    const KernelFacts kernel = read_kernel_facts(tracing_dir);

    for (int rep = 1; rep <= req.reps; ++rep) {
        const std::string tag = fmt::format("[{}/{}] {}{} {}", rep, req.reps, runner->runtime(),
                                            runner->platform().empty() ? "" : "/" + runner->platform(), workload->name());
        RunStart start;
        start.uuid = new_uuid();
        start.runtime = runner->runtime();
        start.platform = runner->platform();
        start.workload = workload->name();
        start.mode = mode_str;
        start.network = runner->network();
        start.repetition = rep;
        start.host = {host.machine_id, host.hostname, host.cpus, host.memory_kb};
        start.kernel = {kernel.release, kernel.version, kernel.arch, kernel.traceable_functions};
        nlohmann::json settings = {{"buffer_kb_per_cpu", req.buffer_kb},
                                   {"load_seconds_requested", req.duration.count()},
                                   {"window", "steady state: tracing starts once the workload answers"},
                                   {"context_filter", "function records in irq/softirq/nmi context excluded"}};
        start.settings_json = settings.dump();
        start.image = "";  // known after prepare(); set below
        start.image = runner->image();
        auto run_id = store.begin_run(start);
        if (!run_id) throw UserError(run_id.error().describe());
        RepResult rr;
        rr.repetition = rep;
        rr.run_id = *run_id;

        try {
            progress(tag + ": launching");
            auto t_launch = Clock::now();
            runner->launch();
            if (!workload->wait_ready(runner->endpoint(), req.ready_timeout)) {
                check_interrupt();
                throw UserError(fmt::format("{} in {} never answered its readiness probe within {} s", workload->name(),
                                            runner->runtime(), req.ready_timeout.count()));
            }
            check_interrupt();
            auto sandbox = runner->tasks();
            progress(fmt::format("{}: ready after {:.1f} s, {} host processes", tag, seconds_since(t_launch), sandbox.size()));

            SessionConfig sc;
            sc.modes = wanted;
            sc.buffer_kb_per_cpu = req.buffer_kb;
            sc.state_dir = req.state_dir;
            for (const auto& t : sandbox) sc.pids.push_back(t.pid);
            auto session = TraceSession::open(sc);
            if (!session) throw UserError("cannot set up tracing: " + session.error().describe());

            std::unique_ptr<CaptureWriter> recorder;
            if (!req.record_dir.empty()) {
                auto w = CaptureWriter::create(req.record_dir + "/rep-" + std::to_string(rep), tracing_dir,
                                               (*session)->event_systems(), wanted.count(CaptureMode::Function) ||
                                                                                wanted.count(CaptureMode::FunctionGraph),
                                               (*session)->cpu_count());
                if (!w) throw UserError("cannot record the capture: " + w.error().describe());
                recorder = std::move(*w);
            }
            auto source = LiveSource::open(**session, recorder.get());
            if (!source) throw UserError("cannot read trace buffers: " + source.error().describe());

            TaskTable task_table;
            for (const auto& t : sandbox)
                for (pid_t tid : thread_ids(t.pid)) task_table.seed(tid, *parse_role(t.role), task_comm(tid));
            RunAggregate aggregate(task_table);

            auto t_trace = Clock::now();
            std::vector<SandboxTask> late;
            LoadResult load;
            {
                Collector collector(**source, aggregate);
                if (auto st = (*session)->start(); !st) throw UserError("cannot start tracing: " + st.error().describe());
                // Tasks that appeared between discovery and the filter: add them.
                for (const auto& t : runner->tasks()) {
                    bool known = false;
                    for (const auto& s : sandbox) known = known || s.pid == t.pid;
                    if (!known) {
                        (void)(*session)->add_pid(t.pid);
                        late.push_back(t);
                    }
                }
                progress(fmt::format("{}: tracing, load for {} s", tag, req.duration.count()));
                load = workload->run_load(runner->endpoint(), req.duration);
                (void)(*session)->stop();
                collector.finish();
            }
            check_interrupt();
            (*source)->drain(aggregate);
            (*source)->close();
            const double trace_s = seconds_since(t_trace);
            for (const auto& t : late)
                for (pid_t tid : thread_ids(t.pid)) task_table.seed(tid, *parse_role(t.role), task_comm(tid));

            RunOutcome outcome = to_outcome(aggregate, task_table, **source);
            outcome.trace_seconds = trace_s;
            outcome.load_seconds = load.seconds;
            outcome.throughput = load.throughput;
            outcome.throughput_unit = load.unit;
            if (recorder) {
                nlohmann::json meta = {{"kernel", kernel.release}, {"modes", mode_str}, {"runtime", runner->runtime()},
                                       {"workload", workload->name()}, {"events", outcome.events}};
                meta["losses"] = {{"overrun", (*source)->losses().overrun},
                                  {"dropped", (*source)->losses().dropped},
                                  {"commit_overrun", (*source)->losses().commit_overrun}};
                meta["tasks"] = nlohmann::json::array();
                for (const auto& t : outcome.tasks)
                    if (t.discovered) meta["tasks"].push_back({{"tid", t.tid}, {"role", t.role}, {"comm", t.comm}});
                if (auto st = recorder->finish(meta); !st) progress("warning: capture not finished: " + st.error().describe());
            }
            session->reset();
            if (auto st = store.complete_run(*run_id, outcome); !st) throw UserError(st.error().describe());

            rr.status = "complete";
            rr.events = outcome.events;
            rr.lost = outcome.lost_events;
            rr.throughput = load.throughput;
            rr.unit = load.unit;
            std::set<std::string> sys_all, fn_all;
            std::map<std::string, std::set<std::string>> sys_role;
            for (const auto& h : outcome.hits) {
                if (h.kind == "syscall") {
                    sys_all.insert(h.normalized);
                    sys_role[h.role].insert(h.normalized);
                }
                if (h.kind == "function") fn_all.insert(h.normalized);
            }
            if (wanted.count(CaptureMode::Syscalls)) rr.unique_syscalls = static_cast<int64_t>(sys_all.size());
            if (wanted.count(CaptureMode::Function) || wanted.count(CaptureMode::FunctionGraph))
                rr.unique_functions = static_cast<int64_t>(fn_all.size());
            for (const auto& [role, set] : sys_role) rr.syscalls_by_role[role] = static_cast<int64_t>(set.size());
            progress(fmt::format("{}: {} events, {} lost, {:.0f} {} ({})", tag, rr.events, rr.lost, load.throughput,
                                 load.unit, load.detail));
        } catch (const UserError& e) {
            const bool aborted = e.exit_code() == kExitInterrupted || interrupted();
            (void)store.end_run(*run_id, aborted ? "aborted" : "failed", e.what());
            runner->teardown();
            throw;
        } catch (const std::exception& e) {
            (void)store.end_run(*run_id, "failed", e.what());
            runner->teardown();
            throw;
        }
        runner->teardown();
        result.reps.push_back(rr);
        check_interrupt();
    }
    return result;
}

}  // namespace hap
