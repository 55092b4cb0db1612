// PageFile: a capture's per-CPU file read page by page through one reused
// buffer (tracer/page_file.h), on the pages of a real function_graph
// recording (fixtures/fg-cat-6.1: 2.7 MB, more than one chunk of pages).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "files.h"
#include "page_file.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {
const std::string kCpuFile = std::string(HAP_UNPACKED_FIXTURES) + "/fg-cat-6.1/per_cpu/cpu0/trace_pipe_raw";

std::string whole(const std::string& path) {
    auto s = read_file(path);
    REQUIRE(s.ok());
    return *s;
}
}  // namespace

TEST_CASE("every page read through the buffer is the file's bytes at that page", "[page_file]") {
    const std::string bytes = whole(kCpuFile);
    auto f = PageFile::open(kCpuFile, 4096);
    REQUIRE(f.ok());
    REQUIRE(f->pages() == bytes.size() / 4096);
    // More than one chunk, so chunk boundaries are crossed (the test says
    // nothing if the fixture shrinks below one).
    REQUIRE(f->pages() > PageFile::kChunkBytes / 4096);
    CHECK(f->tail_bytes() == bytes.size() % 4096);
    for (size_t k = 0; k < f->pages(); ++k) {
        const unsigned char* p = f->page(k);
        REQUIRE(p != nullptr);
        REQUIRE(std::string(reinterpret_cast<const char*>(p), 4096) == bytes.substr(k * 4096, 4096));
    }
    CHECK(f->page(f->pages()) == nullptr);  // past the last whole page
}

TEST_CASE("pages asked for out of order (readers resuming, a step back) are still the file's", "[page_file]") {
    const std::string bytes = whole(kCpuFile);
    auto f = PageFile::open(kCpuFile, 4096);
    REQUIRE(f.ok());
    const size_t last = f->pages() - 1;
    for (size_t k : {last, size_t{0}, last / 2, last / 2 - 1, size_t{3}, last}) {
        const unsigned char* p = f->page(k);
        REQUIRE(p != nullptr);
        CHECK(std::string(reinterpret_cast<const char*>(p), 4096) == bytes.substr(k * 4096, 4096));
    }
}

TEST_CASE("a file cut mid-page has its whole pages and a tail; one that shrank fails with its path", "[page_file]") {
    const std::string bytes = whole(kCpuFile);
    const fs::path dir = fs::temp_directory_path() / ("hap-page-file-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string cut = (dir / "trace_pipe_raw").string();
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, 3 * 4096 + 1000);
    auto f = PageFile::open(cut, 4096);
    REQUIRE(f.ok());
    CHECK(f->pages() == 3);
    CHECK(f->tail_bytes() == 1000);
    // Shrunk after opening (a capture being rewritten): a short read is a
    // failure that names the file, never a page of stale or missing bytes.
    fs::resize_file(cut, 4096);
    CHECK(f->page(2) == nullptr);
    CHECK(f->failure().message.find(cut) != std::string::npos);
    fs::remove_all(dir);
    CHECK_FALSE(PageFile::open(cut, 4096).ok());
}
