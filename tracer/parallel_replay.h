// Readers in parallel for a recorded capture (issue 14): the CPU files are
// shared out among reader threads, each decoding its files' pages in the
// order one reader would (page k of each of its files, then page k + 1) into
// a shard of the run aggregate of its own (RunAggregate's shard
// constructor). Counts need no order; the per-CPU state (a syscall waiting
// for its dispatch record) is one reader's; what needs order across CPUs
// (fork and exec, each syscall's ABI epoch) goes to the shared task table
// and ABIs under one lock. One reader's page order is not time order
// either: TaskAbis settles each syscall's ABI by the records' timestamps
// whatever order they come in; a task's comm is the last one decoded (a
// fork's, or an exec's), so it may differ between runs. The shards are
// merged when every reader is done.
//
// Memory: one counter of distinct things per reader.
#pragma once

#include <cstdint>

#include "replay_source.h"
#include "run_aggregate.h"

namespace hap {

// Drains `src` into `aggregate` with `readers` threads (0: one per CPU file;
// more than the files is the files). Returns the events delivered, as
// drain() does. A capture of the other byte order is decoded through
// libtraceevent, which is not thread-safe: it is drained by one reader. An
// exception on a reader thread is rethrown here once all have stopped.
uint64_t drain_in_parallel(ReplaySource& src, RunAggregate& aggregate, unsigned readers = 0);

}  // namespace hap
