// libFuzzer: one ring-buffer sub-buffer of arbitrary bytes through the page
// decoder, with the event formats of a real capture (tests/fixtures/sh-ls-cat).
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

hap::EventDecoder* decoder() {
    static hap::EventDecoder* d = [] {
        const char* systems[] = {"raw_syscalls", "sched", nullptr};
        tep_handle* tep = hap_tracefs_load_events(HAP_FIXTURES "/sh-ls-cat", systems);
        if (!tep) {
            std::fprintf(stderr, "cannot load the formats of %s\n", HAP_FIXTURES "/sh-ls-cat");
            std::abort();
        }
        return new hap::EventDecoder(tep);
    }();
    return d;
}
}  // namespace

// Loading the formats (libtracefs also reads /proc/kallsyms) takes seconds
// under ASan: done before the per-input timer starts.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
    decoder();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 65536) return -1;
    CountSink sink;
    decoder()->decode_page(data, size, 0, sink);
    return 0;
}
