/* A 32-bit static program with no libc (built with `as --32` and
 * `ld -m elf_i386`, so no gcc-multilib is needed): every syscall it makes
 * enters through int $0x80 from an i386 ELF, so hap must name each from the
 * ia32 table. getpid (20) and uname (122) three times each, write (4), exit (1). */
        .text
        .globl _start
_start:
        movl $3, %esi
1:      movl $20, %eax          /* getpid */
        int $0x80
        movl $122, %eax         /* uname(&uts) */
        movl $uts, %ebx
        int $0x80
        decl %esi
        jnz 1b
        movl $4, %eax           /* write(1, msg, len) */
        movl $1, %ebx
        movl $msg, %ecx
        movl $len, %edx
        int $0x80
        movl $1, %eax           /* exit(0) */
        xorl %ebx, %ebx
        int $0x80
        .data
msg:    .ascii "ia32 probe done\n"
        len = . - msg
        .bss
        .lcomm uts, 512
