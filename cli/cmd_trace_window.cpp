#include "cmd_trace_window.h"

#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "error.h"

namespace hap::cli {
namespace {

// A year: more is a typo, and ns of it must fit in 64 bits with room to add.
constexpr double kMaxSeconds = 365.0 * 24 * 3600;

std::atomic<CountWindow*> g_window{nullptr};
std::atomic<bool> g_opened_by_signal{false};

// Only atomics here (async-signal-safe). A record stamped between the clock
// read and the store below, and decoded in that time by the collector, would
// be missed: nanoseconds against a reader that wakes every few milliseconds.
extern "C" void on_sigusr1(int) {
    const int saved = errno;
    CountWindow* w = g_window.load();
    if (w && w->open_at(mono_now_ns())) g_opened_by_signal.store(true);
    errno = saved;
}

uint64_t to_ns(double s) { return static_cast<uint64_t>(std::llround(s * 1e9)); }

std::string seconds(double s) { return fmt::format("{:.1f} s", s); }

}  // namespace

double parse_seconds(const std::string& option, const std::string& text, bool zero_ok) {
    const std::string hint = "--" + option + " takes seconds, fractions allowed: --" + option + " 2 or --" + option + " 0.5";
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == text.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v))
        throw UserError(fmt::format("--{}: '{}' is not a number of seconds", option, text), hint, kExitUsage);
    if (v < 0) throw UserError(fmt::format("--{}: {} is negative", option, text), hint, kExitUsage);
    if (v == 0 && !zero_ok) throw UserError(fmt::format("--{}: must be more than 0 seconds", option), hint, kExitUsage);
    // A duration that rounds to 0 ns would read as "no end" (CountWindow).
    if (v > 0 && v < 1e-3)
        throw UserError(fmt::format("--{}: {} s is below the 1 ms the window is kept to", option, text), hint, kExitUsage);
    if (v > kMaxSeconds) throw UserError(fmt::format("--{}: {} s is more than a year", option, text), hint, kExitUsage);
    return v;
}

nlohmann::json window_settings(const TraceWindowSpec& spec) {
    nlohmann::json w;
    // No window: counted from the command's first instruction to its exit.
    w["delay_s"] = spec.delay_s ? *spec.delay_s : 0.0;
    w["duration_s"] = spec.duration_s ? nlohmann::json(*spec.duration_s) : nlohmann::json(nullptr);
    w["wait_signal"] = spec.wait_signal;
    w["started_by"] = spec.any() ? nlohmann::json(nullptr) : nlohmann::json("command");  // set when it opens
    return w;
}

TraceWindow::TraceWindow(const TraceWindowSpec& spec)
    : spec_(spec), window_(spec.duration_s ? to_ns(*spec.duration_s) : 0) {
    g_opened_by_signal.store(false);
    g_window.store(spec_.any() ? &window_ : nullptr);
    struct sigaction sa {};
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;  // a window opening is no reason to fail a read
    ::sigaction(SIGUSR1, &sa, nullptr);
}

TraceWindow::~TraceWindow() {
    // Still ignored, not the default (which kills): the caller is past the
    // capture, writing the store, and a late signal must not cut that short.
    ::signal(SIGUSR1, SIG_IGN);
    g_window.store(nullptr);
}

void TraceWindow::command_started(uint64_t now_ns) {
    command_start_ns_ = now_ns;
    if (!spec_.any()) {
        window_.open_at(now_ns);
        return;
    }
    // Without --delay and --wait-signal (a --duration alone) counting starts now.
    if (spec_.delay_s || !spec_.wait_signal) window_.open_at(now_ns + to_ns(spec_.delay_s.value_or(0)));
}

bool TraceWindow::closed(uint64_t now_ns) const {
    auto end = window_.end();
    return end && now_ns >= *end;
}

std::string TraceWindow::tick(uint64_t now_ns) {
    if (!spec_.any()) return "";
    auto start = window_.start();
    if (!announced_open_ && start && now_ns >= *start) {
        announced_open_ = true;
        return fmt::format("counting from {} after the command started ({})", seconds(start_s()),
                           started_by() == "signal" ? "SIGUSR1" : "--delay");
    }
    if (!announced_close_ && closed(now_ns)) {
        announced_close_ = true;
        return fmt::format("window closed after {}: stopping the command", seconds(*spec_.duration_s));
    }
    return "";
}

std::string TraceWindow::started_by() const {
    if (!window_.start()) return "";
    if (!spec_.any()) return "command";
    return g_opened_by_signal.load() ? "signal" : "delay";
}

double TraceWindow::start_s() const {
    auto s = window_.start();
    if (!s) return 0;
    return (static_cast<double>(*s) - static_cast<double>(command_start_ns_)) / 1e9;
}

nlohmann::json TraceWindow::outcome_patch(uint64_t end_ns, bool stopped_command, uint64_t outside_window) const {
    nlohmann::json w;
    w["started_by"] = started_by();
    if (auto s = window_.start()) {
        uint64_t stop = end_ns;
        if (auto e = window_.end(); e && *e < stop) stop = *e;
        w["start_s"] = start_s();
        w["counted_s"] = stop > *s ? static_cast<double>(stop - *s) / 1e9 : 0.0;
        // On the trace clock ("mono"): where another tracer's records can be
        // cut to the same window (tests/lab/guest/retire_checks.sh).
        w["start_mono_ns"] = *s;
        w["end_mono_ns"] = stop;
    }
    w["stopped_command"] = stopped_command;
    w["outside_window_records"] = outside_window;
    return nlohmann::json{{"window", w}};
}

}  // namespace hap::cli
