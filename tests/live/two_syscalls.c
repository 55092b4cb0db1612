// The workload of live.trace_window: a start-up of many different syscalls
// for STARTUP seconds, then a loop of getppid and getpid only, ended at TOTAL
// seconds by SIGALRM's default action (no syscall of its own at the end).
// So `hapctl trace --delay D` with STARTUP < D < TOTAL must report exactly
// getpid and getppid. The loop spins between pairs instead of sleeping
// (nanosleep would be a third syscall) to keep the trace to ~20k records/s.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: two_syscalls STARTUP_S TOTAL_S\n");
        return 2;
    }
    const double startup = atof(argv[1]), total = atof(argv[2]);
    const double t0 = now_s();
    char buf[512];
    while (now_s() - t0 < startup) {
        int fd = open("/proc/self/stat", O_RDONLY);
        if (fd >= 0) {
            (void)!read(fd, buf, sizeof buf);
            close(fd);
        }
        struct utsname u;
        uname(&u);
        (void)!getcwd(buf, sizeof buf);
        struct stat st;
        stat("/", &st);
        sched_yield();
        usleep(200);
    }
    const double left = total - (now_s() - t0);
    struct itimerval it = {{0, 0}, {(time_t)left, (suseconds_t)((left - (double)(time_t)left) * 1e6)}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (;;) {
        syscall(SYS_getppid);
        syscall(SYS_getpid);
        for (volatile int i = 0; i < 50000; ++i) {
        }
    }
}
