#include "synthetic_source.h"

namespace hap {

uint64_t SyntheticSource::pump(EventSink& sink) {
    if (next_ >= events_.size()) return 0;
    SyntheticEvent& e = events_[next_++];
    TraceEvent ev = e.event;
    ev.comm = e.comm;
    sink.on_event(ev);
    return 1;
}

uint64_t SyntheticSource::drain(EventSink& sink) {
    uint64_t n = 0;
    while (uint64_t got = pump(sink)) n += got;
    return n;
}

}  // namespace hap
