// libFuzzer: a whole recorded capture replayed, with the formats and meta of
// tests/fixtures/sh-ls-cat and arbitrary bytes as one CPU's trace_pipe_raw
// (several pages, a short tail): the path `hapctl` takes for --record dirs.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "fuzz_temp_dir.h"
#include "replay_source.h"

namespace fs = std::filesystem;

namespace {
struct NullSink : hap::EventSink {
    uint64_t n = 0;
    void on_event(const hap::TraceEvent& ev) override { n += ev.comm.size() + 1; }
};

const std::string& capture() {
    // A capture directory of the recorded fixture's formats, whose one CPU
    // file each input overwrites.
    static const FuzzTempDir d("hap-fuzz-replay", [](const std::string& dir) {
        const fs::path src = HAP_FIXTURES "/sh-ls-cat";
        fs::copy(src / "events", fs::path(dir) / "events", fs::copy_options::recursive);
        fs::copy_file(src / "meta.json", fs::path(dir) / "meta.json");
        fs::create_directories(fs::path(dir) / "per_cpu/cpu0");
    });
    return d.path();
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
