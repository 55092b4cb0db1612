/* Can this machine's /dev/kvm really run a guest? One implementation for
 * hapctl (doctor, gVisor's kvm platform) and the lab script's probe binary
 * (scripts/lab/kvm-probe.c), hence C. */
#ifndef HAP_KVM_PROBE_H
#define HAP_KVM_PROBE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Creates a VM whose one real-mode vCPU runs `hlt`. With run=0 it stops
 * before KVM_RUN (safe anywhere); with run=1 it runs the guest once and
 * expects KVM_EXIT_HLT. Returns 0 when usable, else 1 with the reason in
 * `why`. With run=1 it HANGS on hosts whose KVM_RUN never returns (PVM):
 * call it only in a child that the caller kills on a timeout. */
int hap_kvm_probe(int run, char *why, size_t why_size);

/* Does a guest keep the XCR0 it sets? A real-mode vCPU with CR4.OSXSAVE
 * writes XCR0=3 with XSETBV, reads it back, exits to userspace (OUT) and
 * reads it again. Under a hypervisor that does not deliver the XSETBV
 * intercept (QEMU 7.2's TCG with nested SVM), KVM never learns the value and
 * reloads its own (1) at the next VM entry. Returns 0 when XCR0 is kept, else
 * 1 with the reason in `why`. Needs an XSAVE CPU; like hap_kvm_probe(run=1)
 * it runs a guest, so call it only in a child killed on a timeout. */
int hap_kvm_probe_xcr0(char *why, size_t why_size);

/* Nonzero when KVM here is PVM-based (kvm_pvm loaded): never run a guest. */
int hap_kvm_is_pvm(void);

#ifdef __cplusplus
}
#endif
#endif
