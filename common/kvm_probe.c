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

int hap_kvm_probe(int run_guest, char *why, size_t n) {
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) return fail(why, n, "open /dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return fail(why, n, "KVM_GET_API_VERSION");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) return fail(why, n, "KVM_CREATE_VM");

    const size_t mem_size = 0x1000;
    unsigned char *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return fail(why, n, "mmap guest memory");
    memset(mem, 0xf4, mem_size); /* hlt everywhere */
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = mem_size, .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail(why, n, "KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return fail(why, n, "KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) return fail(why, n, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) return fail(why, n, "mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail(why, n, "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail(why, n, "KVM_SET_SREGS");
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail(why, n, "KVM_SET_REGS");

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
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) return fail(why, n, "KVM_CREATE_VM");

    /* mov ecx,0; mov eax,3; mov edx,0; xsetbv; (xor ecx,ecx; xgetbv; out 0x10,eax) x2
     * with the port numbers 0x10 and 0x11; hlt. */
    static const unsigned char code[] = {
        0x66, 0xb9, 0, 0, 0, 0, 0x66, 0xb8, 3, 0, 0, 0, 0x66, 0xba, 0, 0, 0, 0, 0x0f, 0x01, 0xd1,
        0x66, 0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x66, 0xe7, 0x10,
        0x66, 0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x66, 0xe7, 0x11, 0xf4};
    const size_t mem_size = 0x1000;
    unsigned char *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return fail(why, n, "mmap guest memory");
    memset(mem, 0xf4, mem_size);
    memcpy(mem, code, sizeof code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = mem_size, .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail(why, n, "KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return fail(why, n, "KVM_CREATE_VCPU");
    if (ioctl(vcpu, KVM_SET_CPUID2, cpuid) < 0) return fail(why, n, "KVM_SET_CPUID2");
    free(cpuid);
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) return fail(why, n, "KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) return fail(why, n, "mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail(why, n, "KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    sregs.cr4 |= 1u << 18; /* CR4.OSXSAVE */
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail(why, n, "KVM_SET_SREGS with CR4.OSXSAVE (no XSAVE?)");
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail(why, n, "KVM_SET_REGS");

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
