// An in-memory source for unit tests of attribution and aggregation: the
// events are given, no kernel or decoder involved.
#pragma once

#include <string>
#include <vector>

#include "trace_source.h"

namespace hap {

struct SyntheticEvent {
    TraceEvent event;
    std::string comm;  // owned here; TraceEvent::comm points into it on delivery
};

class SyntheticSource : public TraceSource {
public:
    explicit SyntheticSource(std::vector<SyntheticEvent> events, LossCounts losses = {})
        : events_(std::move(events)), losses_(losses) {}
    uint64_t pump(EventSink& sink) override;  // one event per call
    uint64_t drain(EventSink& sink) override;
    LossCounts losses() const override { return losses_; }
    std::string describe() const override { return "synthetic"; }

private:
    std::vector<SyntheticEvent> events_;
    size_t next_ = 0;
    LossCounts losses_;
};

}  // namespace hap
