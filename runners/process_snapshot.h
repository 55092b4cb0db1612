// A recorded process tree: what `hapctl snapshot` writes and what
// vm_discovery reads, so discovery can be tested on trees recorded on real
// Kata / Nabla / QEMU hosts (tests/fixtures/trees/, see its README).
//
// Format (JSON, "format": "hap-process-snapshot", "version": 1):
//   {
//     "format": "hap-process-snapshot", "version": 1,
//     "taken_at": "2026-11-28T10:00:00Z",
//     "host": {"kernel_release": "6.1.0-56-amd64", "cgroup_version": "2",   // "1", "2" or "hybrid"
//              "selection": "all" | "--pid 12 --match qemu"},
//     "processes": [                       // one per thread group, sorted by pid
//       {"pid": 812, "tgid": 812, "ppid": 1, "comm": "qemu-system-x86",
//        "cmdline": ["qemu-system-x86_64", "-accel", "kvm", ...],   // argv; [] for kernel threads
//        "exe": "/usr/bin/qemu-system-x86_64",                         // readlink /proc/PID/exe; "" if none
//        "cgroup": ["0::/user.slice/..."],                             // lines of /proc/PID/cgroup
//        "kernel_thread": false,                                       // PF_KTHREAD in /proc/PID/stat
//        "full_name": "",         // kernel threads: status Name, e.g. "kvm-nx-lpage-recovery-812"
//        "owner_pid": 0,          // kernel threads named vhost-N, kvm-pit/N, kvm-nx-lpage-recovery-N: N; else 0
//        "threads": [{"tid": 812, "tgid": 812, "ppid": 1, "comm": "qemu-system-x86"},
//                    {"tid": 815, "tgid": 812, "ppid": 1, "comm": "CPU 0/KVM",
//                     "syscall": "16 0x11 0xae80 0x0 ..."}, ...]}   // /proc/TID/syscall
//     ]
//   }
// Readers ignore unknown keys; writers only add keys within a version.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "error.h"

namespace hap {

struct SnapThread {
    pid_t tid = 0, tgid = 0, ppid = 0;
    std::string comm;
    // /proc/TID/syscall as read ("16 0xf 0xae80 ..." = blocked in ioctl
    // KVM_RUN on x86-64; "running"; "" when unreadable or not recorded).
    std::string syscall;
};

struct SnapProcess {
    pid_t pid = 0, tgid = 0, ppid = 0;
    std::string comm;
    std::vector<std::string> cmdline;
    std::string exe;
    std::vector<std::string> cgroup;
    bool kernel_thread = false;
    std::string full_name;  // kernel threads: /proc/PID/status Name (untruncated on 5.17+)
    pid_t owner_pid = 0;
    std::vector<SnapThread> threads;
};

struct ProcessSnapshot {
    std::string taken_at, kernel_release, cgroup_version, selection;
    std::vector<SnapProcess> processes;  // sorted by pid

    const SnapProcess* find(pid_t pid) const;
};

// Owner pid a kernel thread's name carries: "vhost-812", "kvm-pit/812",
// "kvm-nx-lpage-recovery-812" -> 812; anything else 0.
pid_t kthread_owner_from_name(const std::string& comm);

// Reads /proc now. With no pids and no regex: every process. Otherwise the
// given pids and the processes whose comm or argv (joined by spaces) match
// `match_regex`, each with its descendants, plus the kernel threads whose
// name names a selected process as owner (vhost-N, kvm-pit/N), and kthreadd.
// Throws UserError for a bad regex or a --pid that does not exist.
ProcessSnapshot take_process_snapshot(const std::vector<pid_t>& pids, const std::string& match_regex);

nlohmann::json snapshot_to_json(const ProcessSnapshot& s);
Expected<ProcessSnapshot> snapshot_from_json(const nlohmann::json& j);
Expected<ProcessSnapshot> load_snapshot(const std::string& path);

}  // namespace hap
