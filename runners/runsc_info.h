// What a runsc binary says of itself: its version, the platforms it was built
// with and which one it runs when none is named. Read from the binary, never
// from a list in hap: Debian 12's runsc (2022-12) has ptrace (default) and
// kvm, bookworm-backports' (2024-07) adds systrap and makes it the default.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace hap {

struct RunscInfo {
    std::string binary;                  // path it was read from
    std::string version;                 // "0.0~20240729.0": `runsc --version`, first line, after "runsc version "
    std::vector<std::string> platforms;  // the default first, then by name: {"systrap", "kvm", "ptrace"}
    std::string default_platform;        // the --platform flag's default: "systrap" (2024), "ptrace" (2022)
    bool has(const std::string& platform) const;
    std::string platform_list() const;   // "systrap, kvm, ptrace" for messages
};

// Parses the text of `runsc --version`, `runsc flags` and `runsc help
// platforms` (each as printed, stdout and stderr together; tests/fixtures/runsc).
// Platforms come from `help platforms` (one name a line); where that text is
// empty, from the --platform flag's description ("specifies which platform to
// use: systrap (default), ptrace, kvm."). The default is the flag's
// `(default "X")`. Fields it cannot find stay empty; it never throws.
RunscInfo parse_runsc_info(const std::string& version_text, const std::string& flags_text,
                           const std::string& platforms_text);

// Runs those three commands on `binary` (a few ms each). Throws UserError
// when the binary does not run or names no platform or no default.
RunscInfo read_runsc_info(const std::string& binary);

// Does `platform` start a sandbox here? Runs `runsc --network=none
// --platform=P do /bin/true` with its own --root under state_dir, killed
// after `timeout` (gVisor's kvm platform on a KVM that cannot run guests
// spins rather than fails). why is "" when it runs, else one line: a known
// cause (runsc_platform_blocker), the sentry's crash (runsc_crash_line, from
// the --debug-log the probe writes under its root and reads before removing
// it), the binary's last error line, or that it timed out (its sandbox is
// killed then: pkill -f of the root).
struct RunscPlatformProbe {
    bool runs = false;
    std::string why;
};
RunscPlatformProbe probe_runsc_platform(const std::string& binary, const std::string& platform,
                                        const std::string& state_dir, std::chrono::seconds timeout);

// A cause on this host that keeps `platform` from starting, known before
// runsc is asked: "" when none is known. Today one: Yama's ptrace_scope 3
// (/proc/sys/kernel/yama/ptrace_scope, Documentation/admin-guide/LSM/Yama.rst)
// forbids every ptrace attach, which the ptrace and systrap platforms need to
// set up their stub processes. `ptrace_scope_path` is for tests.
std::string runsc_platform_blocker(const std::string& platform,
                                   const std::string& ptrace_scope_path = "/proc/sys/kernel/yama/ptrace_scope");

// Why the sentry died, from its boot log (--debug-log), when it crashed
// with a Go fatal error: "fatal error: fault (vector 13, #GP) in
// kvm.(*vCPU).SwitchToUser". The vector is the x86 exception the sentry's
// own signal handler printed (Vector = hex), the function is the first
// frame of the crashing goroutine with gvisor.dev/gvisor/pkg/sentry/ cut.
// "" when the text holds no "fatal error:" line.
std::string runsc_crash_line(const std::string& boot_log);

// The last line of runsc's error output worth quoting: its FATAL/error text
// without glog's "W1130 03:32:26.542521 9347 util.go:64] " prefix. "" when
// `text` has none.
std::string runsc_error_line(const std::string& text);

}  // namespace hap
