// The host processes a runner found working for its sandbox, each once, with
// the role it was first found in: runners look for the same process along
// several paths (the container's tree, the runtime's processes, the shim).
#pragma once

#include <sys/types.h>

#include <vector>

#include "procfs.h"
#include "runner.h"

namespace hap {

class SandboxTaskList {
public:
    void add(pid_t pid, const std::string& role) {
        for (const auto& t : tasks_)
            if (t.pid == pid) return;
        tasks_.push_back(SandboxTask{pid, role, task_comm(pid)});
    }
    // pid and every process below it.
    void add_tree(pid_t pid, const std::string& role) {
        add(pid, role);
        for (pid_t d : descendants(pid)) add(d, role);
    }
    std::vector<SandboxTask> take() { return std::move(tasks_); }

private:
    std::vector<SandboxTask> tasks_;
};

}  // namespace hap
