#include "task_table.h"

#include <set>

namespace hap {

const char* role_name(Role r) {
    switch (r) {
        case Role::Workload: return "workload";
        case Role::Runtime: return "runtime";
        case Role::Vmm: return "vmm";
        case Role::Vcpu: return "vcpu";
        case Role::Backend: return "backend";
        case Role::Unknown: return "unknown";
    }
    return "unknown";
}

std::optional<Role> parse_role(const std::string& name) {
    for (auto r : {Role::Workload, Role::Runtime, Role::Vmm, Role::Vcpu, Role::Backend, Role::Unknown})
        if (name == role_name(r)) return r;
    return std::nullopt;
}

void TaskTable::seed(pid_t tid, Role role, const std::string& comm) {
    TaskInfo& t = tasks_[tid];
    t.tid = tid;
    t.role = role;
    t.seeded = true;
    if (!comm.empty()) t.comm = comm;
}

void TaskTable::on_fork(pid_t parent, pid_t child, const std::string& comm) {
    TaskInfo& t = tasks_[child];
    t.tid = child;
    if (t.seeded) return;  // discovery knows better than inheritance
    t.parent = parent;
    t.comm = comm;
}

void TaskTable::on_comm(pid_t tid, const std::string& comm) {
    TaskInfo& t = tasks_[tid];
    t.tid = tid;
    t.comm = comm;
}

void TaskTable::on_guest_exit(pid_t tid) {
    // Kept even before the task is known: its fork record may come later
    // (another CPU's buffer), and on_fork keeps the mark.
    TaskInfo& t = tasks_[tid];
    t.tid = tid;
    t.entered_guest = true;
}

Role TaskTable::role_of(pid_t tid) const {
    std::set<pid_t> seen;  // a reused pid could make a cycle of parents
    const pid_t self = tid;
    for (;;) {
        auto it = tasks_.find(tid);
        if (it == tasks_.end()) return Role::Unknown;
        if (it->second.seeded || it->second.parent == 0) {
            if (!it->second.seeded) return Role::Unknown;
            const auto own = tasks_.find(self);
            if (it->second.role == Role::Vmm && own != tasks_.end() && own->second.entered_guest) return Role::Vcpu;
            return it->second.role;
        }
        if (!seen.insert(tid).second) return Role::Unknown;
        tid = it->second.parent;
    }
}

}  // namespace hap
