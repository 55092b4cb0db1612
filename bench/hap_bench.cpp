// Benchmark helper (not a test): run by scripts/bench.
//   hap_bench replay DIR [READERS]
//                              hap's own path over a recorded capture: decode
//                              every page and fold it into the run aggregate
//                              (with READERS > 1, decoding on that many
//                              threads: parallel_replay.h); prints events,
//                              seconds (drain and naming), drain_seconds
//                              (the readers' part), events/s, peak RSS.
//   hap_bench render DIR OUT   the capture as the text `trace` file shows it
//                              (libtraceevent's printer), the input of the
//                              published text pipeline (grep | sort | uniq).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

extern "C" {
#include <event-parse.h>
#include <kbuffer.h>
#include <trace-seq.h>
}

#include "files.h"
#include "parallel_replay.h"
#include "replay_source.h"
#include "run_aggregate.h"
#include "tracefs_shim.h"

using namespace hap;

namespace {

long peak_rss_kb() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

int replay(const std::string& dir, unsigned readers) {
    auto src = ReplaySource::open(dir);
    if (!src) {
        std::fprintf(stderr, "hap_bench: %s\n", src.error().describe().c_str());
        return 1;
    }
    TaskTable tasks;
    (*src)->seed_tasks(tasks);
    RunAggregate agg(tasks);
    (*src)->seed_abis(agg.abis());
    if ((*src)->meta().value("modes", "").find("function") != std::string::npos) agg.use_entry_path((*src)->entry_path_index());
    const auto t0 = std::chrono::steady_clock::now();
    drain_in_parallel(**src, agg, readers);
    const double drained = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto hits = agg.hits([&](uint64_t a) { return (*src)->function_name(a); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("{\"events\": %llu, \"seconds\": %.3f, \"drain_seconds\": %.3f, \"events_per_s\": %.0f, "
                "\"peak_rss_kb\": %ld, \"hits\": %zu}\n",
                static_cast<unsigned long long>(agg.totals().events), s, drained, agg.totals().events / s, peak_rss_kb(),
                hits.size());
    return 0;
}

int render(const std::string& dir, const std::string& out_path) {
    auto meta = read_file(dir + "/meta.json");
    auto j = nlohmann::json::parse(meta.ok() ? *meta : "{}", nullptr, false);
    const size_t page = j.value("page_size", 4096);
    std::vector<std::string> systems;
    for (const auto& s : list_dir(dir + "/events"))
        if (path_exists(dir + "/events/" + s + "/enable")) systems.push_back(s);
    std::vector<const char*> cs;
    for (auto& s : systems) cs.push_back(s.c_str());
    cs.push_back(nullptr);
    tep_handle* tep = hap_tracefs_load_events(dir.c_str(), cs.data());
    if (!tep) return 1;
    if (auto ks = read_file(dir + "/kallsyms"); ks) tep_parse_kallsyms(tep, ks->c_str());
    FILE* out = std::fopen(out_path.c_str(), "w");
    if (!out) return 1;
    kbuffer* kbuf = tep_kbuffer(tep);
    std::vector<char> buf(page);
    trace_seq seq;
    trace_seq_init(&seq);
    for (const auto& cpu : list_dir(dir + "/per_cpu")) {
        FILE* f = std::fopen((dir + "/per_cpu/" + cpu + "/trace_pipe_raw").c_str(), "rb");
        if (!f) continue;
        while (std::fread(buf.data(), 1, page, f) == page) {
            if (kbuffer_load_subbuffer(kbuf, buf.data()) < 0) continue;
            unsigned long long ts;
            for (void* d = kbuffer_read_event(kbuf, &ts); d; d = kbuffer_next_event(kbuf, &ts)) {
                tep_record rec{};
                rec.ts = ts;
                rec.data = d;
                rec.size = kbuffer_event_size(kbuf);
                rec.cpu = std::atoi(cpu.c_str() + 3);
                trace_seq_reset(&seq);
                tep_print_event(tep, &seq, &rec, "%16s-%-7d [%03d] %s: %s\n", TEP_PRINT_COMM, TEP_PRINT_PID,
                                TEP_PRINT_CPU, TEP_PRINT_NAME, TEP_PRINT_INFO);
                std::fwrite(seq.buffer, 1, seq.len, out);
            }
        }
        std::fclose(f);
    }
    trace_seq_destroy(&seq);
    kbuffer_free(kbuf);
    tep_free(tep);
    return std::fclose(out) == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if ((argc == 3 || argc == 4) && std::string(argv[1]) == "replay")
        return replay(argv[2], argc == 4 ? static_cast<unsigned>(std::atoi(argv[3])) : 1);
    if (argc == 4 && std::string(argv[1]) == "render") return render(argv[2], argv[3]);
    std::fprintf(stderr, "usage: hap_bench replay DIR [READERS] | hap_bench render DIR OUT.txt\n");
    return 2;
}
