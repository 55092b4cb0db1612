// Benchmark helper (not a test): run by scripts/bench.
//   hap_bench replay DIR [READERS]
//                              hap's own path over a recorded capture: decode
//                              every page and fold it into the run aggregate
//                              (with READERS > 1, decoding on that many
//                              threads: parallel_replay.h); prints events,
//                              seconds (drain and naming), drain_seconds
//                              (the readers' part), events/s, peak RSS.
//   hap_bench hits DIR [READERS]
//                              the same replay's results, one line per hit
//                              (kind, role, name, count) and the capture
//                              totals: what a change to the replay path must
//                              leave exactly as it was (diff two outputs).
//   hap_bench describe DIR     what a per-event figure depends on in the
//                              capture: CPU files, pages, bytes of records,
//                              records per event name (the event mix), as
//                              JSON. Records are walked with RingPage alone.
//   hap_bench touch            what this machine charges for the first touch
//                              of a 4 KiB page of a new mapping (64 MiB of
//                              anonymous memory written once, then again):
//                              CPU ns per page, first and second pass. Under
//                              shadow paging (PVM) the first is microseconds.
//   hap_bench render DIR OUT   the capture as the text `trace` file shows it
//                              (libtraceevent's printer), the input of the
//                              published text pipeline (grep | sort | uniq).
#include <sys/mman.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>

extern "C" {
#include <event-parse.h>
#include <kbuffer.h>
#include <trace-seq.h>
}

#include "event_formats.h"
#include "files.h"
#include "parallel_replay.h"
#include "replay_source.h"
#include "ring_page.h"
#include "run_aggregate.h"
#include "tracefs_shim.h"

using namespace hap;

namespace {

long peak_rss_kb() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

// The replay as hapctl does it: tasks and ABIs seeded from meta.json, the
// entry-path index in function modes.
void prepare(ReplaySource& src, TaskTable& tasks, RunAggregate& agg) {
    src.seed_tasks(tasks);
    src.seed_abis(agg.abis());
    if (src.meta().value("modes", "").find("function") != std::string::npos) agg.use_entry_path(src.entry_path_index());
}

int replay(const std::string& dir, unsigned readers) {
    auto src = ReplaySource::open(dir);
    if (!src) {
        std::fprintf(stderr, "hap_bench: %s\n", src.error().describe().c_str());
        return 1;
    }
    TaskTable tasks;
    RunAggregate agg(tasks);
    prepare(**src, tasks, agg);
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

int hits(const std::string& dir, unsigned readers) {
    auto src = ReplaySource::open(dir);
    if (!src) {
        std::fprintf(stderr, "hap_bench: %s\n", src.error().describe().c_str());
        return 1;
    }
    TaskTable tasks;
    RunAggregate agg(tasks);
    prepare(**src, tasks, agg);
    drain_in_parallel(**src, agg, readers);
    for (const Hit& h : agg.hits([&](uint64_t a) { return (*src)->function_name(a); }))
        std::printf("%s\t%s\t%s\t%llu\n", symbol_kind_name(h.kind), role_name(h.role), h.name.c_str(),
                    static_cast<unsigned long long>(h.count));
    const CaptureTotals& t = agg.totals();
    const SyscallAbiSources a = agg.abi_sources();
    std::printf("totals\tevents %llu\tinterrupt_excluded %llu\tgaps %llu\toutside_window %llu\tskipped %llu\t"
                "truncated %llu\tdistinct_keys %zu\n",
                static_cast<unsigned long long>(t.events), static_cast<unsigned long long>(t.interrupt_excluded),
                static_cast<unsigned long long>(t.gaps), static_cast<unsigned long long>(t.outside_window),
                static_cast<unsigned long long>((*src)->decoder_skipped()),
                static_cast<unsigned long long>((*src)->truncated_bytes()), agg.distinct_keys());
    std::printf("abi_sources\tentry_path %llu\tprogram %llu\tx32_bit %llu\tunknown %llu\n",
                static_cast<unsigned long long>(a.entry_path), static_cast<unsigned long long>(a.program),
                static_cast<unsigned long long>(a.x32_bit), static_cast<unsigned long long>(a.unknown));
    return 0;
}

int describe(const std::string& dir) {
    auto meta = read_file(dir + "/meta.json");
    auto j = nlohmann::json::parse(meta.ok() ? *meta : "{}", nullptr, false);
    const size_t page = j.value("page_size", 4096);
    std::vector<std::string> systems;
    for (const auto& s : list_dir(dir + "/events"))
        if (s != "header_page" && s != "header_event") systems.push_back(s);
    auto tep = load_event_formats(dir, systems);
    if (!tep) {
        std::fprintf(stderr, "hap_bench: %s\n", tep.error().describe().c_str());
        return 1;
    }
    RingLayout layout;
    layout.big_endian = tep_is_file_bigendian(*tep);
    layout.swap = layout.big_endian != tep_is_local_bigendian(*tep);
    layout.long_size = tep_get_header_page_size(*tep) == 4 ? 4 : 8;
    // common_type is the first field of every event (u16 at 0 since 4.x);
    // taken from any event's format, not assumed.
    int type_offset = -1, type_size = 0;
    if (tep_event* ev = tep_get_first_event(*tep))
        if (tep_format_field* f = tep_find_common_field(ev, "common_type")) {
            type_offset = f->offset;
            type_size = f->size;
        }
    std::map<std::string, uint64_t> mix;
    uint64_t pages = 0, bytes = 0, records = 0, cpus = 0;
    for (const auto& cpu : list_dir(dir + "/per_cpu")) {
        auto data = read_file(dir + "/per_cpu/" + cpu + "/trace_pipe_raw");
        if (!data) continue;
        ++cpus;
        for (size_t at = 0; at + page <= data->size(); at += page) {
            RingPage ring;
            ++pages;
            if (!ring.open(data->data() + at, page, layout)) continue;
            ring.for_each([&](const RingRecord& r) {
                ++records;
                bytes += r.size;
                unsigned long long id = 0;
                if (type_offset < 0 || r.size < uint32_t(type_offset + type_size)) {
                    ++mix["(too short)"];
                    return;
                }
                id = tep_read_number(*tep, r.data + type_offset, type_size);
                tep_event* ev = tep_find_event(*tep, static_cast<int>(id));
                ++mix[ev ? std::string(ev->system) + ":" + ev->name : "(unknown id " + std::to_string(id) + ")"];
            });
        }
    }
    nlohmann::json out = {{"cpu_files", cpus}, {"pages", pages}, {"page_size", page}, {"records", records},
                          {"record_bytes", bytes}, {"mix", mix}};
    std::printf("%s\n", out.dump().c_str());
    tep_free(*tep);
    return 0;
}

double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

int touch() {
    constexpr size_t kBytes = size_t{64} << 20, kPage = 4096;
    void* m = ::mmap(nullptr, kBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    // No huge pages: a first touch of each 4 KiB page is what is measured.
    ::madvise(m, kBytes, MADV_NOHUGEPAGE);
    volatile unsigned char* p = static_cast<unsigned char*>(m);
    double pass[2];
    for (double& t : pass) {
        const double t0 = cpu_seconds();
        for (size_t at = 0; at < kBytes; at += kPage) p[at] = static_cast<unsigned char>(p[at] + 1);
        t = cpu_seconds() - t0;
    }
    ::munmap(m, kBytes);
    std::printf("{\"first_touch_ns_per_page\": %.0f, \"second_touch_ns_per_page\": %.0f}\n", pass[0] / (kBytes / kPage) * 1e9,
                pass[1] / (kBytes / kPage) * 1e9);
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
    if ((argc == 3 || argc == 4) && std::string(argv[1]) == "hits")
        return hits(argv[2], argc == 4 ? static_cast<unsigned>(std::atoi(argv[3])) : 1);
    if (argc == 3 && std::string(argv[1]) == "describe") return describe(argv[2]);
    if (argc == 2 && std::string(argv[1]) == "touch") return touch();
    if (argc == 4 && std::string(argv[1]) == "render") return render(argv[2], argv[3]);
    std::fprintf(stderr, "usage: hap_bench replay DIR [READERS] | hap_bench hits DIR [READERS] | hap_bench describe DIR | "
                         "hap_bench touch | hap_bench render DIR OUT.txt\n");
    return 2;
}
