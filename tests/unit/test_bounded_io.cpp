// Issue 12, "never hang": every read and write of common/files.h has a bound.
// A FIFO stands in for a kernel file that keeps a caller waiting: the only
// files whose waits userspace can bound are those that honour O_NONBLOCK.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "files.h"

using namespace hap;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

namespace {

struct Fifo {
    fs::path dir = fs::temp_directory_path() / ("hap-fifo-" + std::to_string(::getpid()));
    std::string path = (dir / "fifo").string();
    Fifo() {
        fs::remove_all(dir);
        fs::create_directories(dir);
        REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
    }
    ~Fifo() { fs::remove_all(dir); }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("a write to a FIFO nobody reads fails at once instead of waiting for a reader", "[files][bounded]") {
    Fifo f;
    const auto t0 = std::chrono::steady_clock::now();
    auto st = write_file(f.path, "1\n", milliseconds(300));
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().err == ENXIO);
    CHECK(st.error().message.find(f.path) != std::string::npos);
    CHECK(seconds_since(t0) < 0.3);
}

TEST_CASE("a write that the reader never takes gives up after its wait, naming the file", "[files][bounded]") {
    Fifo f;
    // A reader that opens and never reads: the pipe fills (64 KiB), then the
    // write can only wait.
    const int reader = ::open(f.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(reader >= 0);
    const auto t0 = std::chrono::steady_clock::now();
    auto st = write_file(f.path, std::string(1 << 20, 'x'), milliseconds(300));
    const double took = seconds_since(t0);
    ::close(reader);
    REQUIRE_FALSE(st.ok());
    CHECK(st.error().err == ETIMEDOUT);
    CHECK(st.error().message.find("gave up writing " + f.path + " after 300 ms") == 0);
    CHECK(took >= 0.25);
    CHECK(took < 3.0);
    // The same for appends (tracefs pid files).
    const int reader2 = ::open(f.path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(reader2 >= 0);
    auto ap = append_file(f.path, std::string(1 << 20, 'x'), milliseconds(200));
    ::close(reader2);
    REQUIRE_FALSE(ap.ok());
    CHECK(ap.error().err == ETIMEDOUT);
}

TEST_CASE("a read from a writer that never writes gives up after its wait", "[files][bounded]") {
    Fifo f;
    // O_RDWR on a FIFO (Linux) holds a writer end open without blocking.
    const int writer = ::open(f.path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(writer >= 0);
    REQUIRE(::write(writer, "some", 4) == 4);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = read_file(f.path, milliseconds(300));
    const double took = seconds_since(t0);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().err == ETIMEDOUT);
    CHECK(r.error().message.find("gave up reading " + f.path) == 0);
    CHECK(took >= 0.25);
    CHECK(took < 3.0);
    ::close(writer);
}

TEST_CASE("bounded files read and write ordinary files as before", "[files][bounded]") {
    Fifo f;
    const std::string p = (f.dir / "plain").string();
    REQUIRE(write_file(p, "0\n").ok());
    REQUIRE(append_file(p, "1 2\n").ok());
    auto r = read_file(p);
    REQUIRE(r.ok());
    CHECK(*r == "0\n1 2\n");
}
