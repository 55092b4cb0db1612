#pragma once

#include <string>

namespace live {
struct Skipped {};
[[noreturn]] void skip(const std::string& why);

// A fresh database path in /tmp for one test.
std::string db_path(const std::string& tag);
// Names hap gives what it starts carry its pid: none may remain (netns,
// OCI state, native logs, private dockerd, tracefs instance, children).
void check_nothing_left();
}  // namespace live
