#include "files.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

namespace hap {

namespace {

using Clock = std::chrono::steady_clock;

// Waits until `fd` is ready for `events` or `deadline` passes: 0 ready,
// ETIMEDOUT, or poll's errno.
int wait_ready(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return ETIMEDOUT;
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left, 1000)));
        if (r > 0) return 0;  // ready, or POLLHUP/POLLERR: the next call says which
        if (r < 0 && errno != EINTR) return errno;
    }
}

std::string waited(std::chrono::milliseconds wait) {
    const auto ms = wait.count();
    return ms % 1000 ? std::to_string(ms) + " ms" : std::to_string(ms / 1000) + " s";
}

}  // namespace

Expected<std::string> read_file(const std::string& path, std::chrono::milliseconds wait) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno_error("cannot open " + path);
    const auto deadline = Clock::now() + wait;
    // Read in place into a string that grows: sized up front for a regular
    // file (kallsyms copies are megabytes), from 64 KiB for /proc files,
    // which say size 0.
    struct stat st {};
    const bool sized = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
    std::string out(sized ? static_cast<size_t>(st.st_size) + 1 : size_t{65536}, '\0');
    size_t have = 0;
    for (;;) {
        if (have == out.size()) out.resize(out.size() * 2);
        ssize_t n = ::read(fd, out.data() + have, out.size() - have);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            if (err == EAGAIN) err = wait_ready(fd, POLLIN, deadline);
            if (err == 0) continue;
            ::close(fd);
            if (err == ETIMEDOUT)
                return Error{"gave up reading " + path + " after " + waited(wait) + ": nothing more came", ETIMEDOUT};
            errno = err;
            return errno_error("cannot read " + path);
        }
        if (n == 0) break;
        have += static_cast<size_t>(n);
    }
    out.resize(have);
    ::close(fd);
    return out;
}

namespace {
Status write_fd_all(int fd, const std::string& path, const std::string& data, std::chrono::milliseconds wait) {
    const auto deadline = Clock::now() + wait;
    size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            if (err == EAGAIN) err = wait_ready(fd, POLLOUT, deadline);
            if (err == 0) continue;
            ::close(fd);
            if (err == ETIMEDOUT)
                return Error{"gave up writing " + path + " after " + waited(wait) + ": " + std::to_string(done) + " of " +
                                 std::to_string(data.size()) + " bytes taken",
                             ETIMEDOUT};
            errno = err;
            return errno_error("cannot write " + path);
        }
        if (n == 0) {
            // A tracefs file may take the value and leave the separator:
            // Linux 5.10's set_event_pid returns 0 for a lone "\n", and
            // writing it again (synchronize_rcu each time) looped for ever.
            // Nothing left but whitespace is done; anything else is an error.
            if (data.find_first_not_of(" \t\n", done) == std::string::npos) break;
            ::close(fd);
            return Error{"cannot write " + path + ": the kernel took " + std::to_string(done) + " of " +
                             std::to_string(data.size()) + " bytes and then nothing",
                         0};
        }
        done += static_cast<size_t>(n);
    }
    if (::close(fd) != 0) return errno_error("cannot write " + path);
    return {};
}
}  // namespace

Status write_file(const std::string& path, const std::string& data, std::chrono::milliseconds wait) {
    int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0 && errno == ENOENT) fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NONBLOCK, 0644);
    if (fd < 0) return errno_error("cannot open " + path + " for writing");
    return write_fd_all(fd, path, data, wait);
}

Status append_file(const std::string& path, const std::string& data, std::chrono::milliseconds wait) {
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return errno_error("cannot open " + path + " for appending");
    return write_fd_all(fd, path, data, wait);
}

bool path_exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

std::vector<std::string> list_dir(const std::string& path) {
    std::vector<std::string> names;
    std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
    if (!dir) return names;
    while (dirent* e = ::readdir(dir.get())) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
    }
    return names;
}

Status make_dirs(const std::string& path) {
    // mkdir -p: every prefix that ends before a '/', then the whole path.
    for (size_t pos = path.find('/', 1);; pos = path.find('/', pos + 1)) {
        std::string prefix = path.substr(0, pos);
        if (!prefix.empty() && ::mkdir(prefix.c_str(), 0755) != 0 && errno != EEXIST)
            return errno_error("cannot create directory " + prefix);
        if (pos == std::string::npos) break;
    }
    return {};
}

std::string trim(std::string s) {
    const char* ws = " \t\r\n";
    s.erase(0, s.find_first_not_of(ws));
    s.erase(s.find_last_not_of(ws) + 1);
    return s;
}

std::string last_line(const std::string& text) {
    std::string s = trim(text);
    const auto nl = s.find_last_of("\r\n");
    return nl == std::string::npos ? s : trim(s.substr(nl + 1));
}

std::string last_line_starting(const std::string& text, const std::string& prefix) {
    std::string found;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find_first_of("\r\n", pos);
        if (end == std::string::npos) end = text.size();
        if (std::string line = trim(text.substr(pos, end - pos)); line.rfind(prefix, 0) == 0) found = std::move(line);
        pos = end + 1;
    }
    return found;
}

std::string last_line_of_file(const std::string& path) {
    auto text = read_file(path);
    return text ? last_line(*text) : "";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
    std::string out;
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
    return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (;;) {
        size_t pos = s.find(sep, start);
        parts.push_back(s.substr(start, pos - start));
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    return parts;
}

}  // namespace hap
