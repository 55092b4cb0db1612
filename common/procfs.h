// Reading the host's process table from /proc: threads, parents, names,
// cgroups. Everything here tolerates tasks that exit while being read.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace hap {

std::vector<pid_t> thread_ids(pid_t pid);  // /proc/PID/task; empty if gone
std::optional<pid_t> parent_pid(pid_t pid);
std::optional<pid_t> thread_group_id(pid_t tid);
std::string task_comm(pid_t tid);          // "" if gone
std::string task_cmdline(pid_t pid);       // argv joined by spaces
std::vector<pid_t> all_pids();             // every process (thread group leader)
std::vector<pid_t> child_pids(pid_t pid);  // direct children of every thread of pid
std::vector<pid_t> descendants(pid_t pid); // children, grandchildren, ... (not pid)
// Lines of /proc/PID/cgroup as "hierarchy-id:controllers:path".
std::vector<std::string> task_cgroups(pid_t pid);
std::string boot_id();                     // /proc/sys/kernel/random/boot_id

}  // namespace hap
