#include "kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
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
