#include "kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(char *why, size_t n, const char *what) {
    snprintf(why, n, "%s: %s", what, strerror(errno));
    return 1;
}

int hap_kvm_is_pvm(void) {
    struct stat st;
    return stat("/sys/module/kvm_pvm", &st) == 0;
}

/* One vCPU in real mode at 0x1000, where one page of guest memory holds
 * `code` followed by hlt. `cpuid` (may be NULL) is given to the vCPU and
 * `cr4_set` is or-ed into its CR4 (`cr4_what` names it in an error).
 * Returns 0 and fills *vcpu_out and *run_out. */
static int real_mode_vm(int kvm, const unsigned char *code, size_t code_len, struct kvm_cpuid2 *cpuid,
                        unsigned long cr4_set, const char *cr4_what, int *vcpu_out, struct kvm_run **run_out,
                        char *why, size_t n) {
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) return fail(why, n, "KVM_CREATE_VM");
    const size_t mem_size = 0x1000;
    unsigned char *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return fail(why, n, "mmap guest memory");
    memset(mem, 0xf4, mem_size); /* hlt everywhere */
    memcpy(mem, code, code_len);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = mem_size, .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail(why, n, "KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return fail(why, n, "KVM_CREATE_VCPU");
    if (cpuid && ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0) return fail(why, n, "KVM_SET_CPUID2");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) return fail(why, n, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) return fail(why, n, "mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail(why, n, "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.cr4 |= cr4_set;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail(why, n, cr4_what ? cr4_what : "KVM_SET_SREGS");
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail(why, n, "KVM_SET_REGS");
    *vcpu_out = vcpu;
    *run_out = run;
    return 0;
}

int hap_kvm_probe(int run_guest, char *why, size_t n) {
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) return fail(why, n, "open /dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return fail(why, n, "KVM_GET_API_VERSION");
    int vcpu;
    struct kvm_run *run;
    static const unsigned char hlt[] = {0xf4};
    if (real_mode_vm(kvm, hlt, sizeof hlt, NULL, 0, NULL, &vcpu, &run, why, n) != 0) return 1;
    if (!run_guest) {
        snprintf(why, n, "VM and vCPU created (KVM_RUN not tried)");
        return 0;
    }
    if (ioctl(vcpu, KVM_RUN, 0) < 0) return fail(why, n, "KVM_RUN");
    if (run->exit_reason != KVM_EXIT_HLT) {
        snprintf(why, n, "KVM_RUN exited with reason %u, expected HLT (%u)", run->exit_reason, KVM_EXIT_HLT);
        return 1;
    }
    snprintf(why, n, "guest ran and halted: KVM is usable");
    return 0;
}

int hap_kvm_probe_xcr0(char *why, size_t n) {
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) return fail(why, n, "open /dev/kvm");
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + 256 * sizeof(struct kvm_cpuid_entry2));
    if (!cpuid) return fail(why, n, "calloc");
    cpuid->nent = 256;
    /* The supported CPUID (with XSAVE) makes KVM accept CR4.OSXSAVE. */
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) return fail(why, n, "KVM_GET_SUPPORTED_CPUID");

    /* mov ecx,0; mov eax,3; mov edx,0; xsetbv; (xor ecx,ecx; xgetbv; out 0x10,eax) x2
     * with the port numbers 0x10 and 0x11; hlt. */
    static const unsigned char code[] = {
        0x66, 0xb9, 0, 0, 0, 0, 0x66, 0xb8, 3, 0, 0, 0, 0x66, 0xba, 0, 0, 0, 0, 0x0f, 0x01, 0xd1,
        0x66, 0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x66, 0xe7, 0x10,
        0x66, 0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x66, 0xe7, 0x11, 0xf4};
    int vcpu;
    struct kvm_run *run;
    const int rc = real_mode_vm(kvm, code, sizeof code, cpuid, 1u << 18, "KVM_SET_SREGS with CR4.OSXSAVE (no XSAVE?)",
                                &vcpu, &run, why, n);
    free(cpuid);
    if (rc != 0) return 1;

    unsigned seen[2] = {0, 0};
    for (int i = 0; i < 3; ++i) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) return fail(why, n, "KVM_RUN");
        if (run->exit_reason == KVM_EXIT_HLT) break;
        if (run->exit_reason != KVM_EXIT_IO || run->io.port < 0x10 || run->io.port > 0x11) {
            snprintf(why, n, "the XCR0 test guest stopped with exit reason %u (a fault in XSETBV?)", run->exit_reason);
            return 1;
        }
        memcpy(&seen[run->io.port - 0x10], (char *)run + run->io.data_offset, sizeof seen[0]);
    }
    if (seen[0] != 3 || seen[1] != 3) {
        snprintf(why, n,
                 "a KVM guest loses the XCR0 it sets: XSETBV 0x3, read back %#x, then %#x after one VM exit "
                 "(the hypervisor below does not pass on the XSETBV intercept)",
                 seen[0], seen[1]);
        return 1;
    }
    snprintf(why, n, "a KVM guest keeps the XCR0 it sets across VM exits");
    return 0;
}
