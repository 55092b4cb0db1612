// Who each traced thread works for. Discovery seeds it with roles; fork events
// from the trace add children, which inherit their parent's role. Roles are
// resolved after the capture, so fork records decoded after a child's first
// records (other CPU, later page) still attribute correctly.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>

namespace hap {

enum class Role : uint8_t { Workload, Runtime, Vmm, Vcpu, Backend, Unknown };
const char* role_name(Role r);
std::optional<Role> parse_role(const std::string& name);

struct TaskInfo {
    pid_t tid = 0;
    pid_t parent = 0;  // 0 when seeded by discovery
    Role role = Role::Unknown;
    bool seeded = false;
    bool entered_guest = false;  // emitted kvm_exit: it runs a vCPU
    std::string comm;
};

class TaskTable {
public:
    void seed(pid_t tid, Role role, const std::string& comm);
    void on_fork(pid_t parent, pid_t child, const std::string& comm);
    void on_comm(pid_t tid, const std::string& comm);
    // The task left a KVM guest (kvm_exit): whatever discovery named it, a
    // VMM thread that enters the guest is a vCPU thread. This is how a QEMU
    // started without debug-threads (vCPU threads named like the process)
    // still gets its vCPUs right when kvm events are captured.
    void on_guest_exit(pid_t tid);
    Role role_of(pid_t tid) const;
    const std::map<pid_t, TaskInfo>& tasks() const { return tasks_; }

private:
    std::map<pid_t, TaskInfo> tasks_;
};

}  // namespace hap
