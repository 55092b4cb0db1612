// Recording at the ring buffer's pace: raw pages go to a writer thread of
// their own through a bounded queue, so the thread that drains the kernel's
// buffers never waits on a disk. When the reader itself wrote the pages, a
// slow disk (9p in the lab) stalled it and the kernel overwrote 2,206 events
// that runs without --record never lost (issue 14).
//
// The reader is never made to wait. When the queue is full, the page is left
// out of the record (the live figures still count it); once a write fails,
// nothing more is written. Either way the record says it is incomplete and
// why: the first cause is kept, with how many pages the record lacks.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"

namespace hap {

enum class RecordGap : uint8_t {
    None,        // every page read is in the record
    QueueFull,   // the writer fell behind by the whole queue: pages were left out
    DiskFull,    // a write failed with ENOSPC or EDQUOT
    WriteError,  // a write or close failed otherwise
};
// "queue_full", "disk_full", "write_error" ("" for None): meta.json's words.
const char* record_gap_name(RecordGap gap);

struct RecordStatus {
    RecordGap gap = RecordGap::None;  // the first cause of incompleteness
    std::string detail;               // the failed call with its errno text; "" for None
    uint64_t pages_written = 0;
    uint64_t pages_missing = 0;       // read but not in the record, for any cause
    uint64_t queue_peak_pages = 0;    // the deepest the queue got: how close it came
    bool complete() const { return gap == RecordGap::None; }
    // {"complete", "reason", "detail", "pages_written", "pages_missing",
    //  "queue_peak_pages", "queue_pages"}: the `record` object of meta.json.
    nlohmann::json to_json(size_t queue_pages) const;
    // One line for the user: "complete (N pages)" or "INCOMPLETE: queue full, N pages missing".
    std::string summary() const;
};

class PageRecorder {
public:
    // Writes one page of a CPU's file; its Error (errno kept) ends the record.
    using WritePage = std::function<Status(int cpu, const void* data, size_t size)>;
    // Flushes and closes the files once every page is written.
    using CloseFiles = std::function<Status()>;

    // Pages are at most `page_size` bytes; the queue holds `queue_pages` of
    // them (memory grows only to the deepest backlog, at most
    // queue_pages * page_size). The writer thread starts here.
    PageRecorder(WritePage write, CloseFiles close, size_t page_size, size_t queue_pages);
    ~PageRecorder();  // finish() if not called: the thread never outlives the recorder
    PageRecorder(const PageRecorder&) = delete;
    PageRecorder& operator=(const PageRecorder&) = delete;

    // Copies the page into the queue, or counts it missing; never blocks on
    // the writer. From one thread (the reader).
    void submit(int cpu, const void* data, size_t size);
    // Writes what is queued, closes the files, stops the thread; returns how
    // complete the record is. Later calls return the same status.
    RecordStatus finish();
    size_t queue_pages() const { return capacity_; }

private:
    struct Page {
        int cpu;
        size_t size;
        std::unique_ptr<char[]> data;
    };
    void run();
    void mark(RecordGap gap, std::string detail);  // first cause wins; mutex held

    WritePage write_;
    CloseFiles close_;
    const size_t page_size_, capacity_;
    std::mutex mu_;
    std::condition_variable wake_;
    std::deque<Page> queue_;                      // submitted, not yet written
    std::vector<std::unique_ptr<char[]>> spare_;  // buffers of written pages, for reuse
    size_t allocated_ = 0;
    bool stopping_ = false, failed_ = false, finished_ = false;
    RecordStatus status_;
    std::thread thread_;
};

}  // namespace hap
