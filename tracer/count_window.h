// The stretch of a capture whose records are counted (`hapctl trace --delay`,
// `--duration`, SIGUSR1). Records outside it still drive task bookkeeping
// (fork, exec, exit): a child forked during start-up keeps its parent's role
// when it reaches something inside the window. Only hits are left out.
//
// Times are ring-buffer timestamps in ns, of the session's trace clock; a
// live capture with a window uses trace_clock "mono", so they compare with
// CLOCK_MONOTONIC read by hapctl (mono_now_ns).
#pragma once

#include <time.h>

#include <atomic>
#include <cstdint>
#include <optional>

namespace hap {

class CountWindow {
public:
    static constexpr uint64_t kNotOpen = UINT64_MAX;

    // `duration_ns` 0: the window stays open to the end of the capture.
    explicit CountWindow(uint64_t duration_ns = 0) : duration_ns_(duration_ns) {}

    // Opens the window at `ts`, or moves its start earlier to `ts`: of a
    // --delay deadline set in advance and a signal, the first wins. Returns
    // true when `ts` became the start. Lock-free, so a signal handler may call it.
    bool open_at(uint64_t ts) {
        uint64_t cur = start_.load();
        while (ts < cur)
            if (start_.compare_exchange_weak(cur, ts)) return true;
        return false;
    }

    // Whether a record stamped `ts` is counted: from the start (inclusive)
    // for duration_ns (exclusive).
    bool contains(uint64_t ts) const {
        const uint64_t s = start_.load();
        if (ts < s) return false;  // also every record while the window is not open
        return duration_ns_ == 0 || ts - s < duration_ns_;
    }

    std::optional<uint64_t> start() const {
        const uint64_t s = start_.load();
        return s == kNotOpen ? std::nullopt : std::optional<uint64_t>(s);
    }
    // Where counting stops, ns; nullopt while not open or when open-ended.
    std::optional<uint64_t> end() const {
        auto s = start();
        return s && duration_ns_ ? std::optional<uint64_t>(*s + duration_ns_) : std::nullopt;
    }
    uint64_t duration_ns() const { return duration_ns_; }

private:
    static_assert(std::atomic<uint64_t>::is_always_lock_free, "open_at is called from a signal handler");
    std::atomic<uint64_t> start_{kNotOpen};
    const uint64_t duration_ns_;
};

// CLOCK_MONOTONIC in ns: trace_clock "mono" on the same scale. Async-signal-safe.
inline uint64_t mono_now_ns() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<uint64_t>(t.tv_sec) * 1000000000u + static_cast<uint64_t>(t.tv_nsec);
}

}  // namespace hap
