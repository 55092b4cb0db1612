// Lost-event accounting from per_cpu/cpuN/stats (libtracefs 1.6 has no stats
// API, and record-level missed_events flags mark gaps, not counts).
#pragma once

#include <map>
#include <string>

#include "trace_source.h"

namespace hap {

// Sums of the loss counters over every CPU of an instance directory.
LossCounts read_loss_counters(const std::string& instance_dir);
// Parses one stats file ("overrun: 12\ncommit overrun: 0\n...").
LossCounts parse_cpu_stats(const std::string& text);
LossCounts operator-(const LossCounts& after, const LossCounts& before);

}  // namespace hap
