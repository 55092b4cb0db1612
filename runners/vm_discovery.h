// Which host tasks work for one VM-based sandbox (Kata with QEMU or
// Firecracker, cloud-hypervisor, Nabla's solo5 tenders), and in what role.
// Pure functions over a ProcessSnapshot (process_snapshot.h), so they run on
// recorded trees in unit tests and on a fresh snapshot of /proc in the runners.
//
// Roles (DESIGN.md "Attribution pitfalls"):
//   vmm      the VMM process's threads that are not vCPUs or vhost workers
//            (qemu-system-*, firecracker, cloud-hypervisor, and solo5-hvt,
//            whose single thread both emulates and runs KVM_RUN: vmm here,
//            and vcpu once the capture sees it enter the guest, as it always
//            does: kvm_exit is captured for every VM sandbox), and the
//            kvm-pit/<vmm pid> kernel thread (KVM's in-kernel PIT for that VM;
//            it stays in the root cgroup, so it is found by name + owner pid),
//            and kvm-nx-lpage-recovery-<vmm pid> (a kernel thread before 6.13,
//            owner from its untruncated name; a VMM thread after).
//   vcpu     VMM threads "CPU N/KVM" (QEMU), "fc_vcpu N" (Firecracker),
//            "vcpuN" (cloud-hypervisor).
//   backend  vhost workers for the VMM: since Linux 6.4 threads of the VMM
//            named "vhost-<vmm pid>" (vhost_task); before, kernel threads
//            "vhost-<vmm pid>" (children of kthreadd, outside the sandbox's
//            cgroup); and virtiofsd processes serving the sandbox (with
//            their descendants).
//   runtime  containerd-shim-kata-v2 (the VMM's parent, or the shim whose
//            -id is the sandbox id), runnc / runnc-cont. kata-agent runs in
//            the guest: it is never a host task.
//   workload solo5-spt / nabla-run: the spt tender runs the unikernel itself
//            as a seccomp'd host process, so what it reaches is the workload's.
// A sandbox is one VMM pid: only its threads, vhost-<that pid>, kvm-pit/<that
// pid>, its shim and its virtiofsd belong to it, never another sandbox's.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "process_snapshot.h"

namespace hap {

enum class VmmKind { Qemu, Firecracker, CloudHypervisor, Solo5Hvt, Solo5Spt };
const char* vmm_kind_name(VmmKind k);

struct VmmProcess {
    pid_t pid = 0;
    VmmKind kind = VmmKind::Qemu;
};

// The program a process runs: basename of exe, else of argv[0], else comm.
std::string program_name(const SnapProcess& p);
std::optional<VmmKind> vmm_kind(const SnapProcess& p);
std::vector<VmmProcess> find_vmms(const ProcessSnapshot& s);

// Role of one VMM thread by its name ("CPU 1/KVM" -> vcpu, "vhost-812" -> backend).
std::string vmm_thread_role(VmmKind kind, pid_t vmm_pid, const std::string& thread_comm);

struct RoleAssignment {
    pid_t tid = 0, tgid = 0;
    std::string role, comm, why;
};

struct SandboxView {
    pid_t vmm_pid = 0;
    VmmKind kind = VmmKind::Qemu;
    pid_t shim_pid = 0;  // 0 when none was found
    std::vector<RoleAssignment> tasks;  // one per thread, sorted by tid

    const RoleAssignment* find(pid_t tid) const;
    std::vector<pid_t> tids_with_role(const std::string& role) const;
};

// Everything that works for the sandbox whose VMM is `vmm_pid`. Empty tasks
// when no such VMM is in the snapshot.
SandboxView discover_sandbox(const ProcessSnapshot& s, pid_t vmm_pid);

// The VMM of a sandbox id: the VMM whose argv, or whose shim's argv,
// mentions the id (Kata: qemu "-name sandbox-<id>", shim "-id <id>",
// firecracker "--id <id>"). nullopt when none or more than one match.
std::optional<pid_t> vmm_of_sandbox(const ProcessSnapshot& s, const std::string& sandbox_id);

// Every sandbox on the host, one per VMM.
std::vector<SandboxView> discover_all(const ProcessSnapshot& s);

}  // namespace hap
