// The counting window of `hapctl trace` (--delay, --duration, SIGUSR1): what
// the user asked for, and the clock that opens and closes it while the
// command runs. Records are filtered by their ring-buffer timestamps
// (count_window.h), not by starting the tracer late: fork and exec records
// from before the window must still reach the task table, or a child forked
// during start-up would reach the window without a role.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "count_window.h"

namespace hap::cli {

struct TraceWindowSpec {
    std::optional<double> delay_s;     // count from this long after the command starts
    std::optional<double> duration_s;  // count for this long, then stop the command
    bool wait_signal = false;          // count from the first SIGUSR1
    bool any() const { return delay_s || duration_s || wait_signal; }
};

// Seconds as an option gives them ("2", "0.5"); throws UserError(kExitUsage)
// naming `option` for garbage, negative, non-finite or absurdly large values,
// and for 0 unless `zero_ok`.
double parse_seconds(const std::string& option, const std::string& text, bool zero_ok);

// The run's settings "window" as known before the command starts.
nlohmann::json window_settings(const TraceWindowSpec& spec);

// Drives the window while the command runs: opens it at the --delay deadline
// or at SIGUSR1, whichever comes first, and says when the command must be
// stopped because the window closed. SIGUSR1 is handled for the object's
// life (ignored when there is no window, rather than killing hapctl with
// tracefs set up); one TraceWindow at a time.
class TraceWindow {
public:
    explicit TraceWindow(const TraceWindowSpec& spec);
    ~TraceWindow();
    TraceWindow(const TraceWindow&) = delete;
    TraceWindow& operator=(const TraceWindow&) = delete;

    // What capture_run filters by; nullptr when the spec asks for no window.
    const CountWindow* counting() const { return spec_.any() ? &window_ : nullptr; }
    // The command is released now (CLOCK_MONOTONIC ns): arms the --delay deadline.
    void command_started(uint64_t now_ns);
    // Called about every few ms while the command runs. Returns a progress
    // line when the window has just opened or closed, else "".
    std::string tick(uint64_t now_ns);
    // The window has closed (--duration elapsed): the command should stop.
    bool closed(uint64_t now_ns) const;

    // Whether the window had opened by `now_ns` (a --delay deadline is set
    // in advance, so a start alone does not say it was reached).
    bool opened_by(uint64_t now_ns) const {
        auto s = window_.start();
        return s && *s <= now_ns;
    }
    uint64_t command_start_ns() const { return command_start_ns_; }
    // "delay", "signal", or "" while not open.
    std::string started_by() const;
    // Seconds from the command's start to the window's start (negative when a
    // SIGUSR1 came before the command was released).
    double start_s() const;
    // What the run's settings "window" gains at the end (json_patch).
    nlohmann::json outcome_patch(uint64_t end_ns, bool stopped_command, uint64_t outside_window) const;

private:
    TraceWindowSpec spec_;
    CountWindow window_;
    uint64_t command_start_ns_ = 0;
    bool announced_open_ = false, announced_close_ = false;
};

}  // namespace hap::cli
