#include "subsystem.h"

#include <utility>
#include <vector>

namespace hap {
namespace {

using Rules = std::vector<std::pair<const char*, const char*>>;  // prefix -> subsystem, first match wins

// Kernel functions. Longer, more specific prefixes come first.
const Rules kFunctionRules = {
    {"vhost_", "vhost"}, {"kvm_", "kvm"}, {"vmx_", "kvm"}, {"svm_", "kvm"}, {"vcpu_", "kvm"}, {"xen", "xen"},
    {"tcp_", "net/ipv4"}, {"udp", "net/ipv4"}, {"ip_", "net/ipv4"}, {"inet_", "net/ipv4"}, {"ipv6_", "net/ipv6"},
    {"ip6_", "net/ipv6"}, {"tun_", "net/tun"}, {"veth_", "net/veth"}, {"unix_", "net/unix"}, {"nf_", "net/netfilter"},
    {"sock_", "net/core"}, {"sk_", "net/core"}, {"skb_", "net/core"}, {"__skb", "net/core"}, {"kfree_skb", "net/core"},
    {"netif_", "net/core"}, {"napi_", "net/core"}, {"dev_", "net/core"}, {"net_", "net/core"}, {"__sys_send", "net/socket"},
    {"__sys_recv", "net/socket"}, {"__sys_accept", "net/socket"}, {"__sys_socket", "net/socket"},
    {"ext4_", "fs/ext4"}, {"jbd2_", "fs/jbd2"}, {"overlay", "fs/overlayfs"}, {"ovl_", "fs/overlayfs"},
    {"proc_", "fs/proc"}, {"sysfs_", "fs/sysfs"}, {"kernfs_", "fs/kernfs"}, {"cgroup", "cgroup"}, {"ep_", "fs/epoll"},
    {"eventfd", "fs/eventfd"}, {"pipe_", "fs/pipe"}, {"vfs_", "fs/vfs"}, {"do_sys_open", "fs/vfs"}, {"path_", "fs/vfs"},
    {"dput", "fs/vfs"}, {"d_", "fs/vfs"}, {"__d_", "fs/vfs"}, {"iput", "fs/vfs"}, {"inode_", "fs/vfs"}, {"file", "fs/vfs"},
    {"fput", "fs/vfs"}, {"fget", "fs/vfs"}, {"__fget", "fs/vfs"}, {"__fput", "fs/vfs"}, {"ksys_", "fs/vfs"},
    {"seq_", "fs/seq_file"}, {"io_uring", "io_uring"}, {"io_", "io_uring"}, {"blk_", "block"}, {"bio_", "block"},
    {"sched", "sched"}, {"__schedule", "sched"}, {"pick_next", "sched"}, {"enqueue_", "sched"}, {"dequeue_", "sched"},
    {"update_curr", "sched"}, {"try_to_wake_up", "sched"}, {"wake_up", "sched"}, {"__wake_up", "sched"},
    {"select_task_rq", "sched"}, {"check_preempt", "sched"}, {"finish_task_switch", "sched"}, {"psi_", "sched/psi"},
    {"futex", "futex"}, {"__futex", "futex"}, {"hrtimer", "time"}, {"ktime", "time"}, {"timer", "time"},
    {"clock", "time"}, {"tick_", "time"}, {"rcu", "rcu"}, {"__rcu", "rcu"}, {"mutex_", "locking"},
    {"_raw_spin", "locking"}, {"down_", "locking"}, {"up_", "locking"}, {"rwsem", "locking"},
    {"kmem_cache", "mm/slab"}, {"__kmem_cache", "mm/slab"}, {"kmalloc", "mm/slab"}, {"__kmalloc", "mm/slab"},
    {"kfree", "mm/slab"}, {"page_", "mm"}, {"__alloc_pages", "mm"}, {"alloc_pages", "mm"}, {"free_", "mm"},
    {"handle_mm_fault", "mm"}, {"__handle_mm_fault", "mm"}, {"do_anonymous", "mm"}, {"vma_", "mm"}, {"mmap", "mm"},
    {"do_mmap", "mm"}, {"__do_munmap", "mm"}, {"folio", "mm"}, {"filemap_", "mm/filemap"}, {"lru_", "mm"},
    {"mem_cgroup", "mm/memcg"}, {"copy_", "mm/uaccess"}, {"_copy_", "mm/uaccess"}, {"signal", "signal"},
    {"do_signal", "signal"}, {"send_sig", "signal"}, {"__send_signal", "signal"}, {"get_signal", "signal"},
    {"security_", "security"}, {"apparmor", "security/apparmor"}, {"selinux", "security/selinux"},
    {"seccomp", "seccomp"}, {"__seccomp", "seccomp"}, {"audit", "audit"}, {"ptrace", "ptrace"}, {"__ptrace", "ptrace"},
    {"do_syscall", "entry"}, {"syscall_", "entry"}, {"__x64_sys_", "entry"}, {"entry_", "entry"}, {"irq", "irq"},
    {"__irq", "irq"}, {"do_exit", "exit"}, {"do_group_exit", "exit"}, {"copy_process", "fork"}, {"kernel_clone", "fork"},
    {"wake_up_new_task", "fork"}, {"exec", "exec"}, {"do_execve", "exec"}, {"pid_", "pid"}, {"ns_", "namespaces"},
    {"bpf", "bpf"}, {"__bpf", "bpf"}, {"perf_", "perf"}, {"ftrace", "trace"}, {"trace_", "trace"},
};

// Syscall names, grouped the way man section 2 readers think of them.
const Rules kSyscallRules = {
    {"socket", "net"}, {"connect", "net"}, {"accept", "net"}, {"bind", "net"}, {"listen", "net"}, {"send", "net"},
    {"recv", "net"}, {"getsockopt", "net"}, {"setsockopt", "net"}, {"getsockname", "net"}, {"getpeername", "net"},
    {"shutdown", "net"}, {"epoll", "fs/epoll"}, {"poll", "fs/poll"}, {"ppoll", "fs/poll"}, {"select", "fs/poll"},
    {"pselect", "fs/poll"}, {"eventfd", "fs/eventfd"}, {"mmap", "mm"}, {"munmap", "mm"}, {"mprotect", "mm"},
    {"madvise", "mm"}, {"brk", "mm"}, {"mremap", "mm"}, {"mlock", "mm"}, {"membarrier", "mm"}, {"futex", "futex"},
    {"clone", "process"}, {"fork", "process"}, {"vfork", "process"}, {"exec", "process"}, {"exit", "process"},
    {"wait", "process"}, {"kill", "signal"}, {"tgkill", "signal"}, {"tkill", "signal"}, {"rt_sig", "signal"},
    {"sigaltstack", "signal"}, {"sched_", "sched"}, {"nanosleep", "time"}, {"clock_", "time"}, {"gettimeofday", "time"},
    {"timer", "time"}, {"time", "time"}, {"ptrace", "ptrace"}, {"seccomp", "seccomp"}, {"prctl", "process"},
    {"arch_prctl", "process"}, {"set_tid_address", "process"}, {"set_robust_list", "futex"}, {"rseq", "sched"},
    {"get", "process"}, {"set", "process"}, {"io_uring", "io_uring"}, {"io_", "aio"}, {"ioctl", "fs/ioctl"},
};

}  // namespace

std::string guess_subsystem(const std::string& kind, const std::string& name) {
    if (kind == "hypercall" || kind == "exit_reason" || kind == "pio" || kind == "mmio") return "kvm";
    if (name.rfind("exit_reason:", 0) == 0 || name.rfind("hypercall:", 0) == 0) return "kvm";
    const Rules& rules = kind == "syscall" ? kSyscallRules : kFunctionRules;
    for (const auto& [prefix, subsystem] : rules)
        if (name.rfind(prefix, 0) == 0) return subsystem;
    // Remaining syscalls are file and descriptor work (read, openat, close, ...).
    return kind == "syscall" ? "fs" : "other";
}

}  // namespace hap
