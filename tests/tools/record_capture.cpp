// Records a real capture of a command on this host, for tests/fixtures:
//   record_capture DIR -- COMMAND [ARGS...]
// The command is forked stopped, traced (syscalls + sched, all its threads
// and children via event-fork) from its first instruction to its exit, and
// the raw per-CPU pages, event formats and meta.json are written to DIR.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include <nlohmann/json.hpp>

#include "capture_files.h"
#include "host_facts.h"
#include "live_source.h"
#include "procfs.h"
#include "run_aggregate.h"
#include "trace_session.h"

using namespace hap;

int main(int argc, char** argv) {
    if (argc < 4 || std::strcmp(argv[2], "--") != 0) {
        std::fprintf(stderr, "usage: record_capture DIR -- COMMAND [ARGS...]\n");
        return 2;
    }
    int go[2];
    if (::pipe(go) != 0) return 1;
    pid_t child = ::fork();
    if (child == 0) {
        char b;
        ::close(go[1]);
        if (::read(go[0], &b, 1) != 1) ::_exit(1);
        ::execvp(argv[3], argv + 3);
        ::_exit(127);
    }
    ::close(go[0]);
    SessionConfig cfg;
    cfg.modes = {CaptureMode::Syscalls};
    cfg.pids = {child};
    cfg.buffer_kb_per_cpu = 4096;
    auto session = TraceSession::open(cfg);
    if (!session) {
        std::fprintf(stderr, "record_capture: %s\n", session.error().describe().c_str());
        ::kill(child, SIGKILL);
        return 1;
    }
    auto writer = CaptureWriter::create(argv[1], (*session)->tracing_dir(), (*session)->event_systems(), false,
                                        (*session)->cpu_count());
    if (!writer) {
        std::fprintf(stderr, "record_capture: %s\n", writer.error().describe().c_str());
        ::kill(child, SIGKILL);
        return 1;
    }
    auto source = LiveSource::open(**session);
    if (!source) {
        std::fprintf(stderr, "record_capture: %s\n", source.error().describe().c_str());
        ::kill(child, SIGKILL);
        return 1;
    }
    CaptureWriter* w = writer->get();
    w->set_page_size((*source)->page_size());
    PageRecorder recorder([w](int cpu, const void* d, size_t n) { return w->write_page(cpu, d, n); },
                          [w] { return w->close_pages(); }, (*source)->page_size(), 4096);
    (*source)->record_to(&recorder);
    TaskTable tasks;
    tasks.seed(child, Role::Workload, task_comm(child));
    RunAggregate agg(tasks);
    (void)(*session)->start();
    (void)!::write(go[1], "x", 1);
    int status = 0;
    while (::waitpid(child, &status, WNOHANG) == 0) {
        (*source)->pump(agg);
        ::usleep(2000);
    }
    (void)(*session)->stop();
    (*source)->drain(agg);
    (*source)->close();
    (*source)->record_to(nullptr);
    const RecordStatus rec = recorder.finish();
    if (!rec.complete()) {
        std::fprintf(stderr, "record_capture: record %s\n", rec.summary().c_str());
        return 1;
    }
    nlohmann::json meta = {{"kernel", read_kernel_facts((*session)->tracing_dir(), false).release}, {"modes", "syscalls"},
                           {"command", std::string(argv[3])}, {"events", agg.totals().events}};
    meta["losses"] = {{"overrun", (*source)->losses().overrun},
                      {"dropped", (*source)->losses().dropped},
                      {"commit_overrun", (*source)->losses().commit_overrun}};
    meta["record"] = rec.to_json(recorder.queue_pages());
    meta["tasks"] = nlohmann::json::array({{{"tid", child}, {"role", "workload"}, {"comm", tasks.tasks().at(child).comm}}});
    size_t distinct = 0;
    for (const auto& h : agg.hits()) distinct += h.kind == SymbolKind::Syscall;
    meta["distinct_syscall_role_pairs"] = distinct;
    if (auto st = (*writer)->finish(meta); !st) {
        std::fprintf(stderr, "record_capture: %s\n", st.error().describe().c_str());
        return 1;
    }
    std::fprintf(stderr, "record_capture: %llu events, %zu syscall hits, exit %d\n",
                 static_cast<unsigned long long>(agg.totals().events), distinct, WEXITSTATUS(status));
    return 0;
}
