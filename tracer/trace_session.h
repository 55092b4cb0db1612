// Owns the tracefs state of one capture: its own instance (hap_<pid>), the pid
// filter with fork following, the events and tracer of the chosen modes, and
// the saved top-level knobs. The destructor always leaves tracefs as found.
#pragma once

#include <sys/types.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "capture_mode.h"
#include "error.h"
#include "knob_snapshot.h"
#include "trace_source.h"

struct tracefs_instance;

namespace hap {

struct SessionConfig {
    std::set<CaptureMode> modes;
    std::vector<pid_t> pids;          // every thread of each is traced
    unsigned buffer_kb_per_cpu = 16384;
    std::string state_dir = "/run/hap";  // crash-recovery state (knob files)
    // Clock of the ring-buffer timestamps; "" leaves the kernel's default
    // ("local": cheapest, but not comparable with any clock userspace reads).
    std::string trace_clock;
    // kvm/kvm_exit even without CaptureMode::Kvm: the threads that enter a
    // guest are the vCPUs, whatever they are named (a VM sandbox's runner asks).
    bool guest_exits = false;
};

inline constexpr const char* kInstancePrefix = "hap_";

class TraceSession {
public:
    static Expected<std::unique_ptr<TraceSession>> open(const SessionConfig& cfg);
    ~TraceSession();
    TraceSession(const TraceSession&) = delete;
    TraceSession& operator=(const TraceSession&) = delete;

    // Adds every thread of `pid` to the filters (tasks that appeared after open).
    Status add_pid(pid_t pid);
    Status start();  // loss baseline, then tracing_on=1
    // tracing_on=0 and loss delta; an error when tracing_on was already 0
    // (turned off behind hap's back: the capture ended early).
    Status stop();
    LossCounts losses() const { return losses_; }

    tracefs_instance* instance() const { return instance_; }  // nullptr = top level
    const std::string& tracing_dir() const { return tracing_dir_; }
    const std::string& buffer_dir() const { return buffer_dir_; }
    const std::set<CaptureMode>& modes() const { return modes_; }
    // Event systems whose formats the decoder needs.
    std::vector<std::string> event_systems() const;
    bool uses_top_level() const { return instance_ == nullptr; }
    int cpu_count() const;  // per-CPU buffers of this session

    // Removes instances of dead hap processes and restores their saved knobs.
    static std::vector<std::string> clean_stale(const std::string& tracing_dir, const std::string& state_dir);

private:
    TraceSession() = default;
    Status configure(const SessionConfig& cfg);
    Status knob(const std::string& leaf, const std::string& value);
    Status enable_event(const std::string& system, const std::string& event);
    Status set_function_tracer(CaptureMode mode);
    void teardown();

    std::string tracing_dir_;
    std::string buffer_dir_;  // instance dir, or tracing_dir_ when at the top level
    tracefs_instance* instance_ = nullptr;
    std::unique_ptr<KnobSnapshot> snapshot_;
    std::set<CaptureMode> modes_;
    bool guest_exits_ = false;
    LossCounts baseline_, losses_;
    bool running_ = false;
};

}  // namespace hap
