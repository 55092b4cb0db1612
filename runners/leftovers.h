// What a killed hapctl leaves behind, removed by the next one before it
// starts: OCI containers, network namespaces and private dockerds whose
// owner pid (in their names) is no longer alive. Never touches anything
// hap did not name.
#pragma once

#include <string>
#include <vector>

namespace hap {

// Returns one line per thing removed, for the log.
std::vector<std::string> clean_runner_leftovers(const std::string& state_dir);

// Owner pid encoded in "hap-<pid>-<n>", "hap<pid>c<n>", "dockerd-<pid>"; 0 if none.
int owner_pid_of(const std::string& name);

}  // namespace hap
