/*
 * The smallest KVM guest that reaches the host's hypercall path: 16-bit real
 * mode code doing `out 0x3f8, 'A'`, `vmmcall` (nr 1, KVM_HC_VAPIC_POLL_IRQ,
 * harmless) and `hlt`. Traced by `hapctl trace --mode kvm`, it must yield a
 * kvm_hypercall and the exit reasons io, vmmcall and hlt.
 *
 * It runs only inside the QEMU lab (HAP_LAB=1, set by the lab's guest init):
 * on the development hosts /dev/kvm accepts KVM_RUN and then spins forever.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static const unsigned char code[] = {
    0xba, 0xf8, 0x03,                   /* mov dx, 0x3f8 */
    0xb0, 0x41,                         /* mov al, 'A' */
    0xee,                               /* out dx, al */
    0x66, 0xb8, 0x01, 0x00, 0x00, 0x00, /* mov eax, 1 */
    0x0f, 0x01, 0xd9,                   /* vmmcall (KVM also emulates it on Intel) */
    0xf4,                               /* hlt */
};

static int die(const char *what) {
    perror(what);
    return 1;
}

int main(void) {
    const char *lab = getenv("HAP_LAB");
    if (!lab || strcmp(lab, "1") != 0) {
        fprintf(stderr, "kvm_micro_guest: refusing to run outside the QEMU lab (HAP_LAB=1): "
                        "a host's /dev/kvm may hang guests\n");
        return 2;
    }
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) return die("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0) return die("KVM_CREATE_VM");
    unsigned char *mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return die("mmap");
    memcpy(mem, code, sizeof code);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = 0x1000, .memory_size = 0x1000, .userspace_addr = (unsigned long)mem};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) return die("KVM_SET_USER_MEMORY_REGION");
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) return die("KVM_CREATE_VCPU");
    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) return die("mmap kvm_run");

    struct kvm_sregs sregs;
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) return die("KVM_GET_SREGS");
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) return die("KVM_SET_SREGS");
    struct kvm_regs regs = {.rip = 0x1000, .rflags = 0x2};
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) return die("KVM_SET_REGS");

    for (int i = 0; i < 16; ++i) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) return die("KVM_RUN");
        switch (run->exit_reason) {
            case KVM_EXIT_IO:
                if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == 0x3f8)
                    printf("guest wrote '%c' to port 0x3f8\n", *((char *)run + run->io.data_offset));
                break;
            case KVM_EXIT_HLT:
                printf("guest halted\n");
                return 0;
            default:
                fprintf(stderr, "kvm_micro_guest: unexpected exit reason %u\n", run->exit_reason);
                return 1;
        }
    }
    fprintf(stderr, "kvm_micro_guest: no hlt after 16 runs\n");
    return 1;
}
