// libFuzzer: arbitrary bytes as a capture's meta.json through read_capture_meta.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "capture_files.h"
#include "fuzz_temp_dir.h"

namespace {
const std::string& dir() {
    static const FuzzTempDir d("hap-fuzz-meta");
    return d.path();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = dir() + "/meta.json";
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) std::abort();
    std::fwrite(data, 1, size, f);
    std::fclose(f);
    auto meta = hap::read_capture_meta(dir());
    if (meta) (void)meta->dump();
    return 0;
}
