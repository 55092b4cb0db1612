#include "kvm_guests.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <sstream>
#include <thread>

#include "files.h"
#include "kvm_probe.h"

namespace hap {
namespace {

// Runs a probe that enters a guest in a child of its own and kills it after
// `timeout`: on a KVM whose KVM_RUN never returns, only the child hangs.
KvmVerdict run_guest_probe(int (*probe)(char*, size_t), std::chrono::milliseconds timeout, const char* what) {
    int pipefd[2];
    if (::pipe(pipefd) != 0) return {false, "pipe failed"};
    pid_t child = ::fork();
    if (child < 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        return {false, "fork failed"};
    }
    if (child == 0) {
        ::close(pipefd[0]);
        char why[256] = "";
        int rc = probe(why, sizeof why);
        (void)!::write(pipefd[1], why, std::strlen(why));
        ::_exit(rc);
    }
    ::close(pipefd[1]);
    int status = 0;
    bool done = false;
    const auto step = std::chrono::milliseconds(10);
    for (auto waited = std::chrono::milliseconds(0); waited < timeout && !done; waited += step) {
        done = ::waitpid(child, &status, WNOHANG) == child;
        if (!done) std::this_thread::sleep_for(step);
    }
    KvmVerdict v;
    if (!done) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        v.why = std::string(what) + " did not finish within " + std::to_string(timeout.count() / 1000) +
                " s (KVM_RUN does not return here)";
    } else {
        char why[256];
        ssize_t n = ::read(pipefd[0], why, sizeof why - 1);
        why[n > 0 ? n : 0] = '\0';
        v.usable = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        v.why = why;
    }
    ::close(pipefd[0]);
    return v;
}

int probe_halting_guest(char* why, size_t n) { return hap_kvm_probe(1, why, n); }

}  // namespace

KvmVerdict kvm_guests_usable() {
    static std::optional<KvmVerdict> cached;
    if (cached) return *cached;
    KvmVerdict v;
    char why[256] = "";
    if (::access("/dev/kvm", R_OK | W_OK) != 0) {
        v.why = "no usable /dev/kvm";
    } else if (hap_kvm_is_pvm()) {
        v.why = "/dev/kvm is PVM-based (kvm_pvm loaded): KVM_RUN of a guest never returns here, so it is not tried";
    } else if (hap_kvm_probe(0, why, sizeof why) != 0) {
        v.why = why;
    } else {
        v = run_guest_probe(probe_halting_guest, std::chrono::seconds(3), "a test guest");
    }
    cached = v;
    return v;
}

KvmVerdict gvisor_kvm_cpu_verdict(const std::string& proc_cpuinfo) {
    // The first "flags" line: every CPU of a VM has the same model.
    std::istringstream in(proc_cpuinfo);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) != 0) continue;
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::istringstream flags(line.substr(colon + 1));
        for (std::string f; flags >> f;)
            if (f == "xsave") return {true, "the CPU has XSAVE"};
        return {false,
                "the CPU has no XSAVE, yet runsc's kvm platform tells the sandbox OSXSAVE is on, so glibc's "
                "start-up xgetbv faults (SIGILL)"};
    }
    return {false, "no flags line in /proc/cpuinfo, so XSAVE (which runsc's kvm platform needs) cannot be checked"};
}

KvmVerdict gvisor_kvm_usable() {
    static std::optional<KvmVerdict> cached;
    if (cached) return *cached;
    KvmVerdict v = kvm_guests_usable();
    if (v.usable) {
        auto text = read_file("/proc/cpuinfo");
        v = text ? gvisor_kvm_cpu_verdict(*text)
                 : KvmVerdict{false, "cannot read /proc/cpuinfo: " + text.error().describe()};
    }
    if (v.usable) {
        // The sentry sets XCR0 in its guest and restores SSE state with
        // xrstor: if XCR0 falls back at each VM exit, xrstor faults (#GP).
        v = run_guest_probe(hap_kvm_probe_xcr0, std::chrono::seconds(3), "the XCR0 test guest");
        if (!v.usable) v.why += "; runsc's kvm platform then faults restoring SSE state (xrstor #GP)";
    }
    cached = v;
    return v;
}

}  // namespace hap
