#include "page_recorder.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace hap {

const char* record_gap_name(RecordGap gap) {
    switch (gap) {
        case RecordGap::None: return "";
        case RecordGap::QueueFull: return "queue_full";
        case RecordGap::DiskFull: return "disk_full";
        case RecordGap::WriteError: return "write_error";
    }
    return "";
}

nlohmann::json RecordStatus::to_json(size_t queue_pages) const {
    nlohmann::json j = {{"complete", complete()},
                        {"pages_written", pages_written},
                        {"pages_missing", pages_missing},
                        {"queue_peak_pages", queue_peak_pages},
                        {"queue_pages", queue_pages}};
    if (!complete()) {
        j["reason"] = record_gap_name(gap);
        j["detail"] = detail;
    }
    return j;
}

std::string RecordStatus::summary() const {
    if (complete()) return "complete (" + std::to_string(pages_written) + " pages)";
    std::string why = record_gap_name(gap);
    std::replace(why.begin(), why.end(), '_', ' ');
    return "INCOMPLETE (" + why + "): " + std::to_string(pages_missing) + " pages missing; " + detail;
}

PageRecorder::PageRecorder(WritePage write, CloseFiles close, size_t page_size, size_t queue_pages)
    : write_(std::move(write)), close_(std::move(close)), page_size_(page_size), capacity_(std::max<size_t>(queue_pages, 1)) {
    thread_ = std::thread([this] { run(); });
}

PageRecorder::~PageRecorder() { (void)finish(); }

void PageRecorder::mark(RecordGap gap, std::string detail) {
    if (status_.gap != RecordGap::None) return;
    status_.gap = gap;
    status_.detail = std::move(detail);
}

void PageRecorder::submit(int cpu, const void* data, size_t size) {
    std::unique_ptr<char[]> buf;
    {
        std::lock_guard lk(mu_);
        if (failed_ || finished_) {
            ++status_.pages_missing;
            return;
        }
        if (size > page_size_) {
            ++status_.pages_missing;
            mark(RecordGap::WriteError, "a page of " + std::to_string(size) + " bytes is larger than the record's " +
                                            std::to_string(page_size_));
            return;
        }
        if (queue_.size() >= capacity_) {
            ++status_.pages_missing;
            mark(RecordGap::QueueFull, "the writer fell " + std::to_string(capacity_) + " pages (" +
                                           std::to_string(capacity_ * page_size_ >> 10) + " KiB) behind the reader");
            return;
        }
        if (!spare_.empty()) {
            buf = std::move(spare_.back());
            spare_.pop_back();
        }
    }
    // Only this thread adds to the queue, so the room checked above is still
    // there; the copy and a first allocation happen outside the lock.
    if (!buf) buf.reset(new char[page_size_]);
    std::memcpy(buf.get(), data, size);
    {
        std::lock_guard lk(mu_);
        queue_.push_back(Page{cpu, size, std::move(buf)});
        status_.queue_peak_pages = std::max<uint64_t>(status_.queue_peak_pages, queue_.size());
    }
    wake_.notify_one();
}

void PageRecorder::run() {
    std::unique_lock lk(mu_);
    for (;;) {
        wake_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything is written
        Page p = std::move(queue_.front());
        queue_.pop_front();
        if (failed_) {
            // Queued before the write that failed: not in the record either.
            ++status_.pages_missing;
            spare_.push_back(std::move(p.data));
            continue;
        }
        lk.unlock();
        Status st = write_(p.cpu, p.data.get(), p.size);
        lk.lock();
        spare_.push_back(std::move(p.data));
        if (st) {
            ++status_.pages_written;
            continue;
        }
        // A failed write may have left part of the page in the file: the
        // record ends here, nothing after it is written.
        failed_ = true;
        ++status_.pages_missing;
        const int err = st.error().err;
        mark(err == ENOSPC || err == EDQUOT ? RecordGap::DiskFull : RecordGap::WriteError, st.error().describe());
    }
}

RecordStatus PageRecorder::finish() {
    {
        std::lock_guard lk(mu_);
        if (finished_) return status_;
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    // Buffered bytes reach the disk only now: a close that fails (ENOSPC at
    // the last flush) makes the record incomplete like a failed write.
    Status closed = close_ ? close_() : Status{};
    std::lock_guard lk(mu_);
    if (!closed) {
        const int err = closed.error().err;
        mark(err == ENOSPC || err == EDQUOT ? RecordGap::DiskFull : RecordGap::WriteError, closed.error().describe());
    }
    finished_ = true;
    spare_.clear();
    return status_;
}

}  // namespace hap
