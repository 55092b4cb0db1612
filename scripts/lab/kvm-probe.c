/* kvm-probe: can this host's /dev/kvm really run a guest?
 *
 * Creates a VM with one vCPU in real mode whose only instruction is `hlt`,
 * runs it once and exits 0 if KVM_RUN came back with KVM_EXIT_HLT.
 * Exit codes: 0 usable, 1 not usable (reason on stderr), 2 usage.
 * `kvm-probe --create-only` stops before KVM_RUN (safe on any host).
 * On a host whose KVM_RUN never returns (PVM, see MACHINE-NOTES.md) this
 * program hangs: run it only under `timeout -s KILL`.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "kvm-probe: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    int create_only = argc > 1 && strcmp(argv[1], "--create-only") == 0;
    if (argc > 1 && !create_only) {
        fprintf(stderr, "usage: kvm-probe [--create-only]\n");
        return 2;
    }
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) return fail("open /dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) return fail("KVM_GET_API_VERSION");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) return fail("KVM_CREATE_VM");

    const size_t mem_size = 0x1000;
    unsigned char *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return fail("mmap guest memory");
    memset(mem, 0xf4, mem_size); /* hlt everywhere */
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = mem_size, .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return fail("KVM_SET_USER_MEMORY_REGION");

    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return fail("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (run_size <= 0) return fail("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) return fail("mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return fail("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return fail("KVM_SET_SREGS");
    struct kvm_regs regs;
    memset(&regs, 0, sizeof regs);
    regs.rip = 0x1000;
    regs.rflags = 0x2;
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return fail("KVM_SET_REGS");

    if (create_only) {
        printf("kvm-probe: VM and vCPU created (KVM_RUN not tried)\n");
        return 0;
    }
    if (ioctl(vcpu, KVM_RUN, 0) < 0) return fail("KVM_RUN");
    if (run->exit_reason != KVM_EXIT_HLT) {
        fprintf(stderr, "kvm-probe: KVM_RUN exited with reason %u, expected HLT (%u)\n", run->exit_reason,
                KVM_EXIT_HLT);
        return 1;
    }
    printf("kvm-probe: guest ran and halted: KVM is usable\n");
    return 0;
}
