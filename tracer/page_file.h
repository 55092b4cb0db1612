// One per-CPU file of a recorded capture (per_cpu/cpuN/trace_pipe_raw), read
// page by page into one reused buffer, a chunk of pages per read.
//
// Why not mmap: on a machine whose memory is virtualised by shadow paging
// (these development VMs run under PVM, `dmesg`: "Hypervisor detected:
// PVM"), the first touch of every 4 KiB page of a new mapping costs the
// process a trip through the hypervisor, about 2.7 us here, charged as user
// time even with MAP_POPULATE. A capture is read once, so every page was a
// first touch: a bare walk of the records cost 30 ns per record mapped
// against 7 ns read into a reused buffer, which is what `cat` does (issue
// 24). A reused buffer is also what keeps replay memory flat, with no
// madvise(MADV_DONTNEED) and the TLB flushes it sends to parallel readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "error.h"

namespace hap {

class PageFile {
public:
    // Bytes read per call: 64 pages of 4 KiB, twice the buffer `cat` uses.
    static constexpr size_t kChunkBytes = size_t{256} << 10;

    // Errors: the file cannot be opened or stat'ed (errno, path).
    static Expected<PageFile> open(const std::string& path, size_t page_size);
    PageFile(PageFile&&) noexcept;
    PageFile& operator=(PageFile&&) noexcept;
    ~PageFile();

    // Whole pages in the file, and the bytes after the last of them (a
    // capture cut off mid-page: never decoded).
    size_t pages() const { return pages_; }
    size_t tail_bytes() const { return size_ - pages_ * page_size_; }
    size_t page_size() const { return page_size_; }

    // Page k (0-based, k < pages()), read with the chunk that holds it when
    // it is not in the buffer already. Valid until the next call; nullptr
    // when the read failed or came up short (failure() says why). Reading
    // forward reads every byte once. Not thread-safe: one reader per file.
    const unsigned char* page(size_t k);
    const Error& failure() const { return failure_; }

private:
    PageFile() = default;

    int fd_ = -1;
    std::string path_;
    size_t page_size_ = 0, size_ = 0, pages_ = 0;
    std::unique_ptr<unsigned char[]> buf_;
    size_t chunk_pages_ = 0;
    size_t first_ = 0, held_ = 0;  // pages [first_, first_ + held_) are in buf_
    Error failure_;
};

}  // namespace hap
