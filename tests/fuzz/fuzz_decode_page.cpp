// libFuzzer: one ring-buffer sub-buffer of arbitrary bytes through the page
// decoder, with the event formats of two real captures: tests/fixtures/sh-ls-cat
// (syscalls, sched) and fg-cat-6.1 (function_graph), the latter both one
// record at a time and in function runs with exits only counted, as
// RunAggregate takes them.
#include <cstdint>
#include <cstdlib>
#include <cstdio>

#include "event_decoder.h"
#include "tracefs_shim.h"

namespace {
struct CountSink : hap::EventSink {
    uint64_t n = 0, gaps = 0, bytes = 0;
    void on_event(const hap::TraceEvent& ev) override {
        ++n;
        bytes += ev.comm.size();  // touches the string view: ASan checks its bytes
        for (char c : ev.comm) bytes += static_cast<unsigned char>(c);
    }
    void on_gap(int) override { ++gaps; }
};

// Takes function records in runs and funcgraph_exit as counts.
struct RunSink : CountSink {
    uint64_t addrs = 0;
    bool counts_only(hap::EventKind k) const override { return k == hap::EventKind::FuncGraphExit; }
    void on_counted(hap::EventKind, uint64_t n) override { this->n += n; }
    bool takes_function_runs() const override { return true; }
    void on_function_run(hap::EventKind, int, const hap::FunctionRecord* r, size_t n) override {
        for (size_t i = 0; i < n; ++i) addrs += r[i].addr + static_cast<unsigned>(r[i].pid) + r[i].flags + r[i].ts;
        this->n += n;
    }
};

hap::EventDecoder* load(const char* dir, const char* const* systems) {
    tep_handle* tep = hap_tracefs_load_events(dir, systems);
    if (!tep) {
        std::fprintf(stderr, "cannot load the formats of %s\n", dir);
        std::abort();
    }
    return new hap::EventDecoder(tep);
}

hap::EventDecoder* decoder() {
    static const char* systems[] = {"raw_syscalls", "sched", nullptr};
    static hap::EventDecoder* d = load(HAP_FIXTURES "/sh-ls-cat", systems);
    return d;
}

// One decoder per kind of sink: a decoder builds its routing for the sink
// it serves, and rebuilding it on every input would slow the fuzzer 6x.
hap::EventDecoder* fg_decoder(bool runs) {
    static const char* systems[] = {"ftrace", "sched", nullptr};
    static hap::EventDecoder* one = load(HAP_FG_FIXTURE, systems);
    static hap::EventDecoder* in_runs = load(HAP_FG_FIXTURE, systems);
    return runs ? in_runs : one;
}
}  // namespace

// Loading the formats (libtracefs also reads /proc/kallsyms) takes seconds
// under ASan: done before the per-input timer starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    decoder();
    fg_decoder(false);
    fg_decoder(true);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 65536) return -1;
    CountSink sink;
    decoder()->decode_page(data, size, 0, sink);
    CountSink one;
    fg_decoder(false)->decode_page(data, size, 0, one);
    RunSink runs;
    fg_decoder(true)->decode_page(data, size, 0, runs);
    // The same records either way.
    if (one.n != runs.n || one.gaps != runs.gaps) std::abort();
    return 0;
}
