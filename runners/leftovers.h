// What a killed hapctl leaves behind, removed by the next one before it
// starts: OCI containers, VM sandboxes, network namespaces and private dockerds whose
// owner pid (in their names) is no longer alive. Never touches anything
// hap did not name.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace hap {

// Returns one line per thing removed, for the log.
std::vector<std::string> clean_runner_leftovers(const std::string& state_dir);

// Kills (SIGKILL, with their descendants) every process whose command line
// mentions `needle`, a directory or container id only hap made, after
// giving them `grace` to exit by themselves; returns how many were killed.
// For runtimes that leave sandbox processes behind when start fails.
int kill_processes_mentioning(const std::string& needle,
                              std::chrono::milliseconds grace = std::chrono::milliseconds(0));

// What a stopped private dockerd leaves under its directory `dir`: processes
// naming it (containerd, shims, runsc sandboxes and gofers), mounts below it,
// then the directory itself.
void remove_private_dockerd_dir(const std::string& dir);

// Owner pid encoded in "hap-<pid>-<n>", "hap<pid>c<n>", "dockerd-<pid>"; 0 if none.
int owner_pid_of(const std::string& name);

}  // namespace hap
