#include "line_io.h"

#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>

namespace hap::hapd {

bool LineReader::take_line(std::string& line) {
    auto nl = buf_.find('\n');
    if (nl == std::string::npos) return false;
    line = buf_.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    buf_.erase(0, nl + 1);
    return true;
}

LineReader::Result LineReader::read_line(std::string& line, int timeout_ms, const std::function<bool()>& stop) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
    for (;;) {
        if (take_line(line)) return line.size() > max_ ? kTooLong : kLine;
        if (buf_.size() > max_) return kTooLong;
        int wait = 100;
        if (timeout_ms >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
            if (left <= 0 && timeout_ms > 0) return kTimeout;
            wait = static_cast<int>(std::min<long long>(left < 0 ? 0 : left, 100));
        }
        pollfd p{fd_, POLLIN | POLLRDHUP, 0};
        int r = ::poll(&p, 1, wait);
        if (r < 0 && errno != EINTR) return kError;
        if (r > 0) {
            char chunk[8192];
            ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n == 0) return kEof;
            if (n < 0 && errno != EAGAIN && errno != EINTR) return kError;
            if (n > 0) {
                buf_.append(chunk, static_cast<size_t>(n));
                continue;
            }
        }
        if (timeout_ms == 0) return kTimeout;
        if (stop && stop()) return kTimeout;
    }
}

bool write_line(int fd, const std::string& line) {
    std::string out = line + "\n";
    size_t off = 0;
    while (off < out.size()) {
        ssize_t n = ::send(fd, out.data() + off, out.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        off += static_cast<size_t>(n);
    }
    return true;
}

}  // namespace hap::hapd
