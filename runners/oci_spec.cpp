#include "oci_spec.h"

namespace hap {

nlohmann::json make_oci_spec(const OciSpecParams& p) {
    using nlohmann::json;
    const json caps = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
                       "CAP_FOWNER", "CAP_SETGID", "CAP_SETUID"};
    json netns = {{"type", "network"}};
    if (!p.netns_path.empty()) netns["path"] = p.netns_path;
    json spec = {
        {"ociVersion", "1.0.2"},
        {"process",
         {{"terminal", false},
          {"user", {{"uid", p.uid}, {"gid", p.gid}}},
          {"args", p.args},
          {"env", {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}},
          {"cwd", p.cwd},
          {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
          // runc spec's value: raising it above the caller's hard limit fails (EPERM).
          {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
          {"noNewPrivileges", true}}},
        {"root", {{"path", p.rootfs}, {"readonly", p.readonly_root}}},
        {"hostname", p.hostname},
        {"mounts",
         {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
          {{"destination", "/dev"}, {"type", "tmpfs"}, {"source", "tmpfs"},
           {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
          {{"destination", "/dev/pts"}, {"type", "devpts"}, {"source", "devpts"},
           {"options", {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}}},
          {{"destination", "/dev/shm"}, {"type", "tmpfs"}, {"source", "shm"},
           {"options", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}}},
          {{"destination", "/dev/mqueue"}, {"type", "mqueue"}, {"source", "mqueue"},
           {"options", {"nosuid", "noexec", "nodev"}}},
          {{"destination", "/sys"}, {"type", "sysfs"}, {"source", "sysfs"},
           {"options", {"nosuid", "noexec", "nodev", "ro"}}},
          // Writable scratch for a read-only root.
          {{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
           {"options", {"nosuid", "nodev", "mode=1777"}}},
          {{"destination", "/run"}, {"type", "tmpfs"}, {"source", "tmpfs"},
           {"options", {"nosuid", "nodev", "mode=755"}}}}},
        {"linux",
         {{"cgroupsPath", p.cgroups_path},
          {"resources", {{"devices", {{{"allow", false}, {"access", "rwm"}}}}}},
          {"namespaces", {{{"type", "pid"}}, netns, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}}},
          {"maskedPaths",
           {"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
            "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"}},
          {"readonlyPaths",
           {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}}}},
    };
    for (const auto& e : p.extra_env) spec["process"]["env"].push_back(e);
    // A service that is not root writes its scratch paths as itself (a
    // tmpfs is root's unless told otherwise).
    json scratch_options = {"nosuid", "nodev", "mode=755"};
    if (p.uid != 0 || p.gid != 0) {
        scratch_options.push_back("uid=" + std::to_string(p.uid));
        scratch_options.push_back("gid=" + std::to_string(p.gid));
    }
    for (const auto& dir : p.scratch_dirs)
        spec["mounts"].push_back({{"destination", dir}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", scratch_options}});
    return spec;
}

}  // namespace hap
