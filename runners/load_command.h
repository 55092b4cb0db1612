// A workload file's own load: a command run on the load side (the client
// network namespace), whose output holds the throughput (load.command,
// load.throughput, load.unit).
#pragma once

#include <optional>
#include <string>

#include "workload.h"

namespace hap {

// The rate in `output` (stdout and stderr together): group 1 of the last
// match of `pattern` (ECMAScript), as a number. nullopt when nothing matches
// or group 1 is not a number. The last match: tools print interim figures
// (pgbench's progress lines) before the final one.
std::optional<double> read_throughput(const std::string& output, const std::string& pattern);

// Runs spec.load.command with its placeholders filled for ep and `duration`,
// and reads its throughput. Throws UserError when the command cannot start,
// exits non-zero (its last line quoted), or its throughput cannot be read
// (the pattern and the output's last line quoted).
LoadResult run_load_command(const LoadSpec& spec, const Endpoint& ep, std::chrono::seconds duration);

// Runs one setup step on the load side; throws UserError quoting its last
// line when it cannot start, fails or times out. `index` is its place in the
// file (0-based), for the message.
void run_setup_step(const SetupStep& step, size_t index, const Endpoint& ep, std::chrono::seconds duration, int concurrency);

}  // namespace hap
