#include "page_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace hap {

Expected<PageFile> PageFile::open(const std::string& path, size_t page_size) {
    PageFile f;
    f.path_ = path;
    f.page_size_ = page_size;
    f.fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (f.fd_ < 0) return errno_error("cannot open " + path);
    struct stat st {};
    if (::fstat(f.fd_, &st) != 0) return errno_error("cannot stat " + path);
    f.size_ = static_cast<size_t>(st.st_size);
    f.pages_ = page_size ? f.size_ / page_size : 0;
    // Read once, front to back: the kernel may read ahead further.
    ::posix_fadvise(f.fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    f.chunk_pages_ = std::max<size_t>(1, kChunkBytes / std::max<size_t>(page_size, 1));
    return f;
}

PageFile::PageFile(PageFile&& o) noexcept { *this = std::move(o); }

PageFile& PageFile::operator=(PageFile&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(o.fd_, -1);
        path_ = std::move(o.path_);
        page_size_ = o.page_size_;
        size_ = o.size_;
        pages_ = o.pages_;
        buf_ = std::move(o.buf_);
        chunk_pages_ = o.chunk_pages_;
        first_ = o.first_;
        held_ = std::exchange(o.held_, 0);
        failure_ = std::move(o.failure_);
    }
    return *this;
}

PageFile::~PageFile() {
    if (fd_ >= 0) ::close(fd_);
}

const unsigned char* PageFile::page(size_t k) {
    if (k >= pages_) return nullptr;
    if (k - first_ < held_) return buf_.get() + (k - first_) * page_size_;
    // The buffer is made at the first read: a file never read costs nothing.
    if (!buf_) buf_ = std::make_unique<unsigned char[]>(chunk_pages_ * page_size_);
    const size_t n = std::min(chunk_pages_, pages_ - k);
    const size_t want = n * page_size_;
    size_t got = 0;
    while (got < want) {
        const ssize_t r = ::pread(fd_, buf_.get() + got, want - got, static_cast<off_t>(k * page_size_ + got));
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            failure_ = r < 0 ? errno_error("cannot read " + path_) : Error{path_ + ": shorter than when it was opened"};
            held_ = 0;
            return nullptr;
        }
        got += static_cast<size_t>(r);
    }
    first_ = k;
    held_ = n;
    return buf_.get();
}

}  // namespace hap
