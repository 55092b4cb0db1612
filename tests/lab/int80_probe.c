// A 64-bit program that enters the kernel through int $0x80 (issue 13):
// eax=20 three times (ia32 getpid; x86_64 20 is writev) and eax=122 three
// times (ia32 uname; x86_64 122 is setfsuid), then exits normally. Only
// function records of the entry path can tell these from x86_64 calls.
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
    static struct utsname u;  // below 4 GiB in a non-PIE build: int $0x80 passes 32-bit pointers
    long r = 0;
    for (int i = 0; i < 3; ++i) __asm__ volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory");
    for (int i = 0; i < 3; ++i) __asm__ volatile("int $0x80" : "=a"(r) : "a"(122L), "b"(&u) : "memory");
    printf("int80 probe: uname returned %ld, sysname %s\n", r, u.sysname);
    return 0;
}
