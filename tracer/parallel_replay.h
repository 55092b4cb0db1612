// Readers in parallel for a recorded capture (issue 14): each CPU file's
// pages are decoded on reader threads, and folded into the sink on the
// caller's thread in exactly the order ReplaySource::drain folds them (one
// page of each CPU in turn). Decoding, the larger part of replay, runs in
// parallel; the sink sees the same calls in the same order, so everything
// that needs order across CPUs (fork and exec attribution, the task ABIs,
// the window) comes out as with one reader, and no sink has to be
// thread-safe.
//
// Memory: each reader is at most kAhead decoded pages ahead of the sink.
#pragma once

#include <cstdint>

#include "replay_source.h"
#include "trace_event.h"

namespace hap {

// Drains `src` into `sink` with `readers` decoding threads (0: one per CPU
// file; more than the files is the files). Returns the events delivered, as
// drain() does. A capture of the other byte order is decoded through
// libtraceevent, which is not thread-safe: it is drained by one reader.
uint64_t drain_in_parallel(ReplaySource& src, EventSink& sink, unsigned readers = 0);

}  // namespace hap
