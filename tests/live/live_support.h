#pragma once

#include <string>

#include "engine/measurement.h"

namespace live {
struct Skipped {};
[[noreturn]] void skip(const std::string& why);

// A fresh database path in /tmp for one test.
std::string db_path(const std::string& tag);
// Names hap gives what it starts carry its pid: none may remain (netns,
// OCI state, native logs, private dockerd, tracefs instance, children).
void check_nothing_left();
// The runner tests' measurement: redis, --mode syscalls, one repetition of 2 s, into `db`.
hap::MeasureRequest short_redis_request(const std::string& runtime, const std::string& platform, const std::string& db);
}  // namespace live
