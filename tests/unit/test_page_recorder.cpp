// Recording on a writer thread (tracer/page_recorder.h): every page in order
// when the disk keeps up; when it does not, or fails, the reader is never
// held and the record says it is incomplete and why (issue 14).
#include <unistd.h>

#include <catch2/catch.hpp>

#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <vector>

#include "capture_files.h"
#include "files.h"
#include "page_recorder.h"

using namespace hap;
namespace fs = std::filesystem;

namespace {

constexpr size_t kPage = 4096;

// A directory with what CaptureWriter copies from tracefs (the page headers;
// no event system), and an empty output directory beside it.
struct Dirs {
    fs::path root, tracing, out;
    explicit Dirs(const std::string& name) {
        root = fs::temp_directory_path() / ("hap-rec-" + name + "-" + std::to_string(::getpid()));
        fs::remove_all(root);
        tracing = root / "tracing";
        out = root / "capture";
        fs::create_directories(tracing / "events");
        for (const char* h : {"header_page", "header_event"}) REQUIRE(write_file((tracing / "events" / h).string(), "x\n"));
    }
    ~Dirs() { fs::remove_all(root); }
    std::unique_ptr<CaptureWriter> writer(int cpus) {
        auto w = CaptureWriter::create(out.string(), tracing.string(), {}, false, cpus);
        REQUIRE(w);
        (*w)->set_page_size(kPage);
        return std::move(*w);
    }
    // A one-CPU writer whose page file is /dev/full, as a disk that fills up
    // mid-run: the file opened at create() is replaced and reopened through
    // a second writer.
    std::unique_ptr<CaptureWriter> writer_onto_dev_full() {
        writer(1).reset();
        const fs::path f = out / "per_cpu" / "cpu0" / "trace_pipe_raw";
        fs::remove(f);
        fs::create_symlink("/dev/full", f);
        return writer(1);
    }
};

std::vector<char> page_of(int n) { return std::vector<char>(kPage, static_cast<char>('a' + n % 26)); }

PageRecorder recorder_for(CaptureWriter& w, size_t queue_pages) {
    return PageRecorder([&w](int cpu, const void* d, size_t n) { return w.write_page(cpu, d, n); },
                        [&w] { return w.close_pages(); }, kPage, queue_pages);
}

}  // namespace

TEST_CASE("A record the disk keeps up with has every page, in order, and says complete", "[page_recorder]") {
    Dirs d("complete");
    auto w = d.writer(2);
    {
        PageRecorder rec([&](int cpu, const void* p, size_t n) { return w->write_page(cpu, p, n); },
                         [&] { return w->close_pages(); }, kPage, 1024);
        for (int i = 0; i < 200; ++i) rec.submit(i % 2, page_of(i).data(), i == 7 ? 100 : kPage);  // one short page
        const RecordStatus st = rec.finish();
        CHECK(st.complete());
        CHECK(st.pages_written == 200);
        CHECK(st.pages_missing == 0);
        CHECK(st.summary() == "complete (200 pages)");
        REQUIRE(w->finish({{"record", st.to_json(rec.queue_pages())}}));
    }
    for (int cpu : {0, 1}) {
        const fs::path f = d.out / "per_cpu" / ("cpu" + std::to_string(cpu)) / "trace_pipe_raw";
        REQUIRE(fs::file_size(f) == 100 * kPage);  // the short page padded to a whole one
        std::ifstream in(f, std::ios::binary);
        std::vector<char> got(kPage);
        for (int i = cpu; i < 200; i += 2) {
            in.read(got.data(), kPage);
            CHECK(got[0] == page_of(i)[0]);
            CHECK(got[kPage - 1] == (i == 7 ? 0 : page_of(i)[0]));
        }
    }
    auto meta = read_capture_meta(d.out.string());
    REQUIRE(meta);
    CHECK((*meta)["record"]["complete"] == true);
    CHECK(!(*meta)["record"].contains("reason"));
}

TEST_CASE("A writer behind by the whole queue: pages left out, the reader never held, queue_full", "[page_recorder]") {
    std::mutex mu;
    std::condition_variable cv;
    bool writing = false, release = false;
    std::vector<char> seen;  // first byte of each page written, in order
    PageRecorder rec(
        [&](int, const void* p, size_t) {
            std::unique_lock lk(mu);
            writing = true;
            cv.notify_all();
            cv.wait(lk, [&] { return release; });
            seen.push_back(*static_cast<const char*>(p));
            return Status{};
        },
        {}, kPage, 8);
    rec.submit(0, page_of(0).data(), kPage);
    {
        // The writer holds page 0: the queue has room for 8 more, then none.
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return writing; });
    }
    for (int i = 1; i <= 12; ++i) rec.submit(0, page_of(i).data(), kPage);  // returns at once: nothing waits
    {
        std::lock_guard lk(mu);
        release = true;
    }
    cv.notify_all();
    const RecordStatus st = rec.finish();
    CHECK(!st.complete());
    CHECK(st.gap == RecordGap::QueueFull);
    CHECK(st.pages_written == 9);
    CHECK(st.pages_missing == 4);
    CHECK(st.queue_peak_pages == 8);
    CHECK(seen == std::vector<char>{'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'});
    const auto j = st.to_json(rec.queue_pages());
    CHECK(j["complete"] == false);
    CHECK(j["reason"] == "queue_full");
    CHECK(j["pages_missing"] == 4);
    CHECK(st.summary().rfind("INCOMPLETE (queue full): 4 pages missing", 0) == 0);
}

TEST_CASE("A full disk (/dev/full) is never dropped: the record says disk_full with the file", "[page_recorder]") {
    if (!fs::exists("/dev/full")) {
        WARN("no /dev/full here: not checked");
        return;
    }
    Dirs d("full");
    auto full = d.writer_onto_dev_full();
    PageRecorder rec = recorder_for(*full, 1024);
    // stdio buffers 256 KiB (64 pages): enough pages that a write itself
    // fails, not only the close.
    for (int i = 0; i < 100; ++i) rec.submit(0, page_of(i).data(), kPage);
    const RecordStatus st = rec.finish();
    CHECK(!st.complete());
    CHECK(st.gap == RecordGap::DiskFull);
    CHECK(st.detail.find("cpu0/trace_pipe_raw") != std::string::npos);
    CHECK(st.detail.find(std::strerror(ENOSPC)) != std::string::npos);
    CHECK(st.pages_missing > 0);
    CHECK(st.pages_written + st.pages_missing == 100);
}

TEST_CASE("Pages buffered when the files close on a full disk still make the record incomplete", "[page_recorder]") {
    if (!fs::exists("/dev/full")) {
        WARN("no /dev/full here: not checked");
        return;
    }
    Dirs d("close");
    auto full = d.writer_onto_dev_full();
    PageRecorder rec = recorder_for(*full, 64);
    rec.submit(0, page_of(0).data(), kPage);  // fits in stdio's buffer: fails only at the close
    const RecordStatus st = rec.finish();
    CHECK(st.gap == RecordGap::DiskFull);
    CHECK(st.pages_written == 1);
    CHECK(rec.finish().gap == RecordGap::DiskFull);  // asked again, the same answer
}

TEST_CASE("After a write error nothing more is written and every later page counts missing", "[page_recorder]") {
    int calls = 0;
    PageRecorder rec(
        [&](int, const void*, size_t) {
            if (++calls == 3) return Status(Error{"cannot write cpu0", EIO});
            return Status{};
        },
        {}, kPage, 1024);
    for (int i = 0; i < 10; ++i) rec.submit(0, page_of(i).data(), kPage);
    const RecordStatus st = rec.finish();
    CHECK(calls == 3);
    CHECK(st.gap == RecordGap::WriteError);
    CHECK(st.detail == std::string("cannot write cpu0: ") + std::strerror(EIO));
    CHECK(st.pages_written == 2);
    CHECK(st.pages_missing == 8);
    rec.submit(0, page_of(0).data(), kPage);  // after finish: never written, counted missing
    CHECK(rec.finish().pages_missing == 9);
}

TEST_CASE("meta.json's record must say whether it is complete", "[page_recorder]") {
    Dirs d("meta");
    fs::create_directories(d.out);
    auto meta_with = [&](const std::string& record) {
        REQUIRE(write_file((d.out / "meta.json").string(),
                           R"({"format": "hap-capture", "format_version": 1, "record": )" + record + "}"));
        return read_capture_meta(d.out.string());
    };
    CHECK(meta_with(R"({"complete": false, "reason": "queue_full"})"));
    CHECK(!meta_with("3"));
    CHECK(!meta_with(R"({"complete": "yes"})"));
}
