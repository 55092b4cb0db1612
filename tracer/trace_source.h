// Where decoded events come from. Decode, attribution, store and analysis
// never know which implementation feeds them (STYLE.md, falcosecurity model).
#pragma once

#include <cstdint>
#include <string>

#include "trace_event.h"

namespace hap {

// Records the kernel could not deliver, from per_cpu/cpuN/stats deltas.
struct LossCounts {
    uint64_t overrun = 0;         // overwritten before read (overwrite mode)
    uint64_t dropped = 0;         // refused because the buffer was full
    uint64_t commit_overrun = 0;  // lost inside a nested write
    uint64_t total() const { return overrun + dropped + commit_overrun; }
};

class TraceSource {
public:
    virtual ~TraceSource() = default;
    // Delivers what is available now without blocking; returns events delivered.
    virtual uint64_t pump(EventSink& sink) = 0;
    // Delivers everything that is left; call once tracing has stopped.
    virtual uint64_t drain(EventSink& sink) = 0;
    virtual LossCounts losses() const = 0;
    virtual std::string describe() const = 0;
    // Kernel symbol at `addr` for function hits ("" when unknown).
    virtual std::string function_name(uint64_t /*addr*/) const { return {}; }
};

}  // namespace hap
