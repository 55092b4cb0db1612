#include "http_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "interrupt.h"

namespace hap {
namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

int remaining_ms(Clock::time_point deadline) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return ms < 0 ? 0 : static_cast<int>(ms);
}

// Waits for `events` on fd until the deadline; an Error names what timed out.
Status wait_fd(int fd, short events, Clock::time_point deadline, const std::string& what) {
    for (;;) {
        pollfd p{fd, events, 0};
        int r = ::poll(&p, 1, remaining_ms(deadline));
        if (r > 0) return {};
        if (r == 0) return Error{what + ": timed out", ETIMEDOUT};
        if (errno != EINTR) return errno_error(what);
    }
}

// A TCP connection to ep, made on the calling thread's namespace; the fd is
// non-blocking and owned by the caller.
Expected<int> connect_here(const Endpoint& ep, Clock::time_point deadline) {
    const std::string where = ep.address + ":" + std::to_string(ep.port);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(ep.port));
    if (::inet_pton(AF_INET, ep.address.c_str(), &sa.sin_addr) != 1) return Error{"not an IPv4 address: " + ep.address};
    Fd s{::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) return errno_error("socket");
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        if (errno != EINPROGRESS) return errno_error("connect to " + where);
        if (auto st = wait_fd(s.fd, POLLOUT, deadline, "connect to " + where); !st) return st.error();
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) return Error{"connect to " + where, err};
    }
    const int fd = s.fd;
    s.fd = -1;
    return fd;
}

// Runs on a thread that has joined the target namespace (or stayed in ours).
Expected<int> get_status_here(const Endpoint& ep, const std::string& path, Clock::time_point deadline) {
    const std::string where = ep.address + ":" + std::to_string(ep.port);
    auto connected = connect_here(ep, deadline);
    if (!connected) return connected.error();
    Fd s{*connected};
    // Keep-alive (HTTP/1.1's default), as wrk: nginx under gVisor 2022-12-19
    // never sends its reply to a "Connection: close" request (curl shows the
    // same), and the status line is all the probe reads before it closes.
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + where + "\r\nUser-Agent: hap-probe\r\n\r\n";
    size_t sent = 0;
    while (sent < req.size()) {
        ssize_t n = ::send(s.fd, req.data() + sent, req.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (auto st = wait_fd(s.fd, POLLOUT, deadline, "send to " + where); !st) return st.error();
        } else {
            return errno_error("send to " + where);
        }
    }
    // The status line is all we need: read until the first line ends.
    std::string head;
    char buf[512];
    while (head.find('\n') == std::string::npos && head.size() < 4096) {
        ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n > 0) {
            head.append(buf, static_cast<size_t>(n));
        } else if (n == 0) {
            break;
        } else if (errno == EAGAIN || errno == EINTR) {
            if (auto st = wait_fd(s.fd, POLLIN, deadline, "reply from " + where); !st) return st.error();
        } else {
            return errno_error("reply from " + where);
        }
    }
    auto code = parse_http_status_line(head);
    if (!code) return Error{"no HTTP status line from " + where + (head.empty() ? " (connection closed)" : "")};
    return *code;
}

}  // namespace

std::optional<int> parse_http_status_line(const std::string& head) {
    // "HTTP/1.1 200 OK": a version, one space, three digits, then space or end of line.
    if (head.rfind("HTTP/", 0) != 0) return std::nullopt;
    auto sp = head.find(' ');
    if (sp == std::string::npos || sp > 16 || head.size() < sp + 4) return std::nullopt;
    int code = 0;
    for (size_t i = sp + 1; i < sp + 4; ++i) {
        if (head[i] < '0' || head[i] > '9') return std::nullopt;
        code = code * 10 + (head[i] - '0');
    }
    if (head.size() > sp + 4 && head[sp + 4] != ' ' && head[sp + 4] != '\r' && head[sp + 4] != '\n')
        return std::nullopt;
    return code;
}

namespace {

// Runs fn on a thread of its own that has joined ep.netns (when set):
// setns(CLONE_NEWNET) changes only the calling thread, so hapctl's other
// threads never change namespace.
Expected<int> on_thread_in_netns(const Endpoint& ep, const std::function<Expected<int>()>& fn) {
    Expected<int> result = Error{"probe did not run"};
    std::thread t([&] {
        if (!ep.netns.empty()) {
            const std::string ns_path = "/var/run/netns/" + ep.netns;
            Fd ns{::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC)};
            if (ns.fd < 0) {
                result = errno_error("cannot open network namespace " + ns_path);
                return;
            }
            if (::setns(ns.fd, CLONE_NEWNET) != 0) {
                result = errno_error("cannot join network namespace " + ns_path);
                return;
            }
        }
        result = fn();
    });
    t.join();
    return result;
}

}  // namespace

bool probe_until(std::chrono::seconds timeout, const std::function<bool()>& attempt) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline && !interrupted()) {
        if (attempt()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return false;
}

Expected<int> http_get_status(const Endpoint& ep, const std::string& path, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    return on_thread_in_netns(ep, [&] { return get_status_here(ep, path, deadline); });
}

Status tcp_connect(const Endpoint& ep, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    auto r = on_thread_in_netns(ep, [&]() -> Expected<int> {
        auto fd = connect_here(ep, deadline);
        if (!fd) return fd.error();
        ::close(*fd);
        return 0;
    });
    if (!r) return r.error();
    return {};
}

bool wait_tcp_connect(const Endpoint& ep, std::chrono::seconds timeout) {
    return probe_until(timeout, [&] { return static_cast<bool>(tcp_connect(ep, kReadyAttemptTimeout)); });
}

bool wait_http_status(const Endpoint& ep, const std::string& path, int status, std::chrono::seconds timeout) {
    return probe_until(timeout, [&] {
        auto r = http_get_status(ep, path, kReadyAttemptTimeout);
        return r && *r == status;
    });
}

}  // namespace hap
