// Newline-delimited reads and writes on a socket, bounded in size and time,
// shared by hapd and the hapctl client.
#pragma once

#include <functional>
#include <string>

namespace hap::hapd {

class LineReader {
public:
    enum Result { kLine, kEof, kTimeout, kTooLong, kError };
    LineReader(int fd, size_t max_line) : fd_(fd), max_(max_line) {}
    // Waits up to timeout_ms (-1 = no limit) in 100 ms slices, giving up early
    // when `stop` says so (kTimeout). A line is returned without its newline.
    Result read_line(std::string& line, int timeout_ms, const std::function<bool()>& stop = {});
    // Like read_line with timeout 0: only what has already arrived.
    Result poll_line(std::string& line) { return read_line(line, 0); }

private:
    bool take_line(std::string& line);
    int fd_;
    size_t max_;
    std::string buf_;
};

// Writes `line` plus '\n' completely (MSG_NOSIGNAL); false when the peer is gone.
bool write_line(int fd, const std::string& line);

}  // namespace hap::hapd
