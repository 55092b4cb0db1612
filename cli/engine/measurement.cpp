#include "measurement.h"

#include "capture.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <map>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "files.h"
#include "host_facts.h"
#include "interrupt.h"
#include "leftovers.h"
#include "root_source.h"
#include "runner.h"
#include "store.h"
#include "trace_session.h"

namespace hap {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void check_interrupt() {
    if (interrupted())
        throw UserError(fmt::format("interrupted by signal {}", interrupt_signal()), "", kExitInterrupted);
}

std::vector<TracedTask> traced(const std::vector<SandboxTask>& tasks) {
    std::vector<TracedTask> out;
    for (const auto& t : tasks) out.push_back(TracedTask{t.pid, t.role});
    return out;
}

// Probes in short slices, so a sandbox that dies (a VM whose guest panics)
// ends the wait at once, with the sandbox's own last words.
void wait_until_ready(Runner& runner, const Workload& workload, std::chrono::seconds timeout, const std::string& state_dir) {
    const auto deadline = Clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        if (workload.wait_ready(runner.endpoint(), std::min(left, std::chrono::seconds(2)))) return;
        check_interrupt();
        if (auto why = runner.exited_why(); !why.empty())
            throw UserError(fmt::format("{} in {} never answered: {}", workload.name(), runner.runtime(), why),
                            "its logs (console, VMM) are kept in " + state_dir + "/logs");
    }
    check_interrupt();
    std::string msg = fmt::format("{} in {} never answered its readiness probe within {} s", workload.name(), runner.runtime(),
                                  timeout.count());
    if (auto last = runner.last_output(); !last.empty()) msg += "; the sandbox's console's last line: '" + last + "'";
    else if (runner.runtime() == "vm") msg += "; the guest console is empty (the guest kernel never printed)";
    throw UserError(msg, "raise --ready-timeout if the sandbox is only slow to start");
}

// Ready, then the workload file's setup steps (run once a sandbox, before the
// load and outside the traced window: `pgbench -i` is not the service's work
// under load).
void bring_up(Runner& runner, const Workload& workload, const MeasureRequest& req, const std::string& tag,
              const std::function<void(const std::string&)>& progress) {
    wait_until_ready(runner, workload, req.ready_timeout, req.state_dir);
    check_interrupt();
    if (workload.spec().setup.empty()) return;
    progress(fmt::format("{}: ready; {} setup step(s)", tag, workload.spec().setup.size()));
    workload.run_setup(runner.endpoint(), req.duration);
    check_interrupt();
}

// The untraced baseline of one repetition: a fresh sandbox of the same cell,
// the same load for the same time, nothing traced. Runs after the traced
// repetition is stored, so the traced figures are exactly what they would be
// without it. Returns the throughput, or nullopt with detail["error"] set
// when the sandbox or its load failed, whatever the exception (the traced
// run stays complete). An interrupt is thrown as such.
std::optional<double> measure_untraced(Runner& runner, const Workload& workload, const MeasureRequest& req,
                                       const std::string& tag, const std::function<void(const std::string&)>& progress,
                                       nlohmann::json& detail) {
    struct Teardown {
        Runner& r;
        ~Teardown() { r.teardown(); }
    } teardown{runner};
    try {
        progress(tag + ": untraced baseline: a fresh sandbox, the same load, nothing traced");
        const auto t_launch = Clock::now();
        runner.launch();
        bring_up(runner, workload, req, tag, progress);
        detail["ready_seconds"] = seconds_since(t_launch);
        const LoadResult load = workload.run_load(runner.endpoint(), req.duration);
        check_interrupt();
        detail["load_seconds"] = load.seconds;
        detail["detail"] = load.detail;
        progress(fmt::format("{}: untraced {:.0f} {} ({})", tag, load.throughput, load.unit, load.detail));
        return load.throughput;
    } catch (const std::exception& e) {
        const auto* user = dynamic_cast<const UserError*>(&e);
        if ((user && user->exit_code() == kExitInterrupted) || interrupted()) throw;
        detail["error"] = e.what();
        progress(fmt::format("{}: untraced baseline failed, the traced run stays complete: {}", tag, e.what()));
        return std::nullopt;
    }
}

}  // namespace

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

RunStart new_run_start(const std::string& tracing_dir, const std::set<CaptureMode>& modes) {
    static const HostFacts host = read_host_facts();
    const KernelFacts kernel = read_kernel_facts(tracing_dir, traces_functions(modes));
    RunStart s;
    s.uuid = new_uuid();
    s.host = {host.machine_id, host.hostname, host.cpus, host.memory_kb};
    s.kernel = {kernel.release, kernel.version, kernel.arch, kernel.traceable_functions};
    return s;
}

std::unique_ptr<Store> open_store_for_run(const std::string& path, const std::function<void(const std::string&)>& progress) {
    auto store = Store::open(path);
    if (!store) throw UserError(store.error().describe(), "choose another --db, or move the damaged file away");
    if ((*store)->recovered_aborted())
        progress(fmt::format("marked {} run(s) of a dead hapctl as aborted", (*store)->recovered_aborted()));
    return std::move(*store);
}

MeasureResult run_measurement(const MeasureRequest& req, const std::function<void(const std::string&)>& progress) {
    // Everything that can be refused is refused before anything is stored.
    if (req.reps < 1 || req.reps > 1000) throw UserError("--reps must be between 1 and 1000", "", kExitUsage);
    if (req.duration.count() < 1) throw UserError("--duration must be at least 1 second", "", kExitUsage);
    if (!parse_modes(req.mode_spec)) throw UserError(parse_modes(req.mode_spec).error().message, "", kExitUsage);
    auto workload = make_workload(req.workload);
    (void)inspect_root_source(workload->spec());  // an image that is missing or for another machine: exit 2 now
    RunnerOptions ro{req.runtime, req.platform, req.state_dir, req.cache_dir, req.docker_host, req.vm, req.nabla_images};
    auto runner = make_runner(ro, *workload);
    for (const std::string& rt : {req.runtime, runner->runtime()})
        if (auto why = workload->refusal(rt); !why.empty())
            throw UserError(fmt::format("the {} workload does not run in {}: {}", workload->name(), rt, why),
                            "its file's [refuse] table says so (" + workload->spec().origin + ")", kExitUsage);
    if (workload->sets_process_context() && !runner->applies_process_context())
        throw UserError(fmt::format("the {} workload sets service.user, service.env or service.workdir, which the {} "
                                    "runner does not apply yet",
                                    workload->name(), runner->runtime()),
                        "measure it in native, runc, crun, runsc, docker or vm", kExitUsage);
    if (::geteuid() != 0)
        throw UserError("hapctl measure needs root: it configures tracefs and starts container runtimes",
                        "run it as root (sudo hapctl ...)");
    for (const auto& tool : workload->spec().driver_tools())
        if (!find_program(tool)) throw UserError("load generator " + tool + " not found", "run scripts/setup");
    const std::string tracing_dir = require_tracefs();
    const std::set<CaptureMode> wanted = resolve_capture_modes(req.mode_spec, tracing_dir);
    const std::string mode_str = modes_to_string(wanted);

    auto store = open_store_for_run(req.db_path, progress);
    for (const auto& line : TraceSession::clean_stale(tracing_dir, req.state_dir)) progress(line);
    for (const auto& line : clean_runner_leftovers(req.state_dir)) progress(line);

    // Whatever prepare() starts (a private dockerd) stops on every way out.
    struct Shutdown {
        Runner& r;
        ~Shutdown() { r.shutdown(); }
    } shutdown_guard{*runner};
    MeasureResult result{runner->runtime(), runner->platform(), workload->name(), mode_str, runner->network(), {}};
    progress(fmt::format("preparing {} image for {}", workload->name(), runner->runtime()));
    // What the runs of this cell share: prepared once. A failure here (a
    // missing guest kernel, an image that does not build) is stored as the
    // first repetition's failure, so the store says why the cell is empty.
    auto base_start = [&](int rep) {
        RunStart start = new_run_start(tracing_dir, wanted);
        start.runtime = runner->runtime();
        start.platform = runner->platform();
        start.workload = workload->name();
        start.workload_origin = workload->spec().origin;
        start.workload_file = workload->spec().redacted_text();
        start.mode = mode_str;
        start.network = runner->network();
        start.repetition = rep;
        return start;
    };
    try {
        runner->prepare();
    } catch (const UserError& e) {
        if (auto id = store->begin_run(base_start(1)); id)
            (void)store->end_run(*id, interrupted() ? "aborted" : "failed", std::string("prepare: ") + e.what());
        throw;
    }
    check_interrupt();

    for (int rep = 1; rep <= req.reps; ++rep) {
        const std::string tag = fmt::format("[{}/{}] {}{} {}", rep, req.reps, runner->runtime(),
                                            runner->platform().empty() ? "" : "/" + runner->platform(), workload->name());
        RunStart start = base_start(rep);
        start.image = runner->image();
        nlohmann::json settings = {{"buffer_kb_per_cpu", req.buffer_kb},
                                   {"load_seconds_requested", req.duration.count()},
                                   {"window", "steady state: tracing starts once the workload answers"},
                                   {"context_filter", "function records in irq/softirq/nmi context excluded"}};
        if (auto own = runner->settings(); own.is_object() && !own.empty()) settings["sandbox"] = own;
        start.settings_json = settings.dump();
        auto run_id = store->begin_run(start);
        if (!run_id) throw UserError(run_id.error().describe());
        RepResult rr;
        rr.repetition = rep;
        rr.run_id = *run_id;

        try {
            progress(tag + ": launching");
            auto t_launch = Clock::now();
            runner->launch();
            bring_up(*runner, *workload, req, tag, progress);
            auto sandbox = runner->tasks();
            progress(fmt::format("{}: ready after {:.1f} s, {} host processes", tag, seconds_since(t_launch), sandbox.size()));

            CaptureRequest cr;
            cr.modes = wanted;
            cr.guest_exits = runner->runs_kvm_guest();
            cr.guest_vcpus = runner->guest_vcpus();
            cr.tracing_dir = tracing_dir;
            cr.state_dir = req.state_dir;
            cr.buffer_kb = req.buffer_kb;
            cr.tasks = traced(sandbox);
            cr.rediscover = [&] { return traced(runner->tasks()); };
            LoadResult load;
            cr.while_tracing = [&] {
                progress(fmt::format("{}: tracing, load for {} s", tag, req.duration.count()));
                load = workload->run_load(runner->endpoint(), req.duration);
                check_interrupt();
            };
            if (!req.record_dir.empty()) {
                cr.record_dir = req.record_dir + "/rep-" + std::to_string(rep);
                cr.record_meta = {{"kernel", start.kernel.release}, {"runtime", runner->runtime()},
                                  {"workload", workload->name()}};
            }
            CaptureResult captured = capture_run(cr);
            if (cr.guest_exits) {
                // Its vCPU work would otherwise be stored under vmm (or lost): fail, never store that.
                bool vcpu = false;
                for (const auto& t : captured.outcome.tasks) vcpu = vcpu || t.role == "vcpu";
                if (!vcpu)
                    throw UserError("no vCPU found in the " + runner->runtime() +
                                        " sandbox: no traced thread entered the guest (kvm_exit) or is named as a vCPU",
                                    "the VMM's vCPU threads were not among the tasks hap found (see `hapctl snapshot --match "
                                    "qemu|firecracker|solo5`); the run is stored failed");
            }
            const std::string cost = tracing_cost_line(captured);
            RunOutcome outcome = std::move(captured.outcome);
            outcome.load_seconds = load.seconds;
            outcome.throughput = load.throughput;
            outcome.throughput_unit = load.unit;
            if (auto st = store->complete_run(*run_id, outcome); !st) throw UserError(st.error().describe());

            const OutcomeFigures fig = figures_of(outcome);
            rr.status = "complete";
            rr.events = outcome.events;
            rr.lost = outcome.lost_events;
            rr.throughput = load.throughput;
            rr.unit = load.unit;
            if (wanted.count(CaptureMode::Syscalls))
                rr.unique_syscalls = fig.unique.count("syscall") ? fig.unique.at("syscall") : 0;
            if (traces_functions(wanted))
                rr.unique_functions = fig.unique.count("function") ? fig.unique.at("function") : 0;
            if (fig.by_role.count("syscall")) rr.syscalls_by_role = fig.by_role.at("syscall");
            if (fig.by_role.count("function")) rr.functions_by_role = fig.by_role.at("function");
            if (wanted.count(CaptureMode::Kvm))
                rr.unique_hc = (fig.unique.count("hypercall") ? fig.unique.at("hypercall") : 0) +
                               (fig.unique.count("exit_reason") ? fig.unique.at("exit_reason") : 0);
            progress(fmt::format("{}: {} events, {} lost, {:.0f} {} ({})", tag, rr.events, rr.lost, load.throughput,
                                 load.unit, load.detail));
            if (captured.record) {
                rr.record = captured.record->complete() ? "complete"
                                                        : std::string("incomplete: ") + record_gap_name(captured.record->gap);
                progress(fmt::format("{}: record {} {}", tag, cr.record_dir, captured.record->summary()));
            }
            progress(tag + ": " + cost);
        } catch (const UserError& e) {
            const bool aborted = e.exit_code() == kExitInterrupted || interrupted();
            (void)store->end_run(*run_id, aborted ? "aborted" : "failed", e.what());
            runner->teardown();
            throw;
        } catch (const std::exception& e) {
            (void)store->end_run(*run_id, "failed", e.what());
            runner->teardown();
            throw;
        }
        runner->teardown();
        if (req.untraced_baseline) {
            nlohmann::json detail = {{"what", "the same load for the same time in a fresh sandbox, nothing traced, "
                                              "after the traced run"}};
            std::optional<double> untraced;
            try {
                untraced = measure_untraced(*runner, *workload, req, tag, progress, detail);
            } catch (const UserError&) {
                // Interrupted: the traced run is complete and stays so; the
                // baseline it lacks is said in its settings.
                detail["error"] = "interrupted";
                (void)store->record_untraced(*run_id, std::nullopt, nlohmann::json{{"untraced", detail}}.dump());
                throw;
            }
            if (auto st = store->record_untraced(*run_id, untraced, nlohmann::json{{"untraced", detail}}.dump()); !st)
                throw UserError(st.error().describe());
            rr.throughput_untraced = untraced;
        }
        result.reps.push_back(rr);
        check_interrupt();
    }
    return result;
}

}  // namespace hap
