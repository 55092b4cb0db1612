// Whether KVM guests really run here, decided without ever hanging hapctl:
// a PVM-based KVM is never probed, elsewhere the probe runs in a child that
// is killed after a timeout (MACHINE-NOTES.md: KVM_RUN can spin forever).
#pragma once

#include <string>

namespace hap {

struct KvmVerdict {
    bool usable = false;
    std::string why;
};

KvmVerdict kvm_guests_usable();  // cached after the first call

// Whether gVisor's kvm platform can start a program on this CPU, from the text
// of /proc/cpuinfo. runsc 2022-12-19 gives its sandbox a CPUID that sets
// OSXSAVE even when the CPU has no XSAVE; glibc's ld.so then runs xgetbv before
// main, which raises #UD, and the sandbox dies with SIGILL ("waiting for
// sandbox to start: EOF"). Seen in the lab on QEMU's qemu64 model.
KvmVerdict gvisor_kvm_cpu_verdict(const std::string& proc_cpuinfo);

// Whether runsc --platform=kvm can run a program here: kvm_guests_usable(),
// an XSAVE CPU (gvisor_kvm_cpu_verdict), and a KVM whose guests keep the XCR0
// they set (hap_kvm_probe_xcr0: the sentry sets XCR0 and restores SSE state
// with xrstor, which faults when XCR0 falls back to 1 at a VM exit, as under
// QEMU 7.2's TCG with nested SVM). Cached after the first call.
KvmVerdict gvisor_kvm_usable();

}  // namespace hap
