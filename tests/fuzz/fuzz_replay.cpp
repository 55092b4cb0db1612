// libFuzzer: a whole recorded capture replayed, with the formats and meta of
// tests/fixtures/sh-ls-cat and arbitrary bytes as one CPU's trace_pipe_raw
// (several pages, a short tail): the path `hapctl` takes for --record dirs.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "replay_source.h"

namespace fs = std::filesystem;

namespace {
struct NullSink : hap::EventSink {
    uint64_t n = 0;
    void on_event(const hap::TraceEvent& ev) override { n += ev.comm.size() + 1; }
};

const std::string& capture() {
    static const std::string d = [] {
        char tmpl[] = "/tmp/hap-fuzz-replay.XXXXXX";
        if (!::mkdtemp(tmpl)) std::abort();
        const fs::path src = HAP_FIXTURES "/sh-ls-cat";
        fs::copy(src / "events", fs::path(tmpl) / "events", fs::copy_options::recursive);
        fs::copy_file(src / "meta.json", fs::path(tmpl) / "meta.json");
        fs::create_directories(fs::path(tmpl) / "per_cpu/cpu0");
        return std::string(tmpl);
    }();
    static const struct Cleanup {  // the temp dir goes when the fuzzer exits
        ~Cleanup() { std::error_code ec; std::filesystem::remove_all(d, ec); }
    } cleanup;
    (void)cleanup;
    return d;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4 * 4096 + 100) return -1;
    FILE* f = std::fopen((capture() + "/per_cpu/cpu0/trace_pipe_raw").c_str(), "wb");
    if (!f) std::abort();
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    auto src = hap::ReplaySource::open(capture());
    if (!src) return 0;
    NullSink sink;
    (*src)->drain(sink);
    return 0;
}
