#include "kvm_guests.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "kvm_probe.h"

namespace hap {

KvmVerdict kvm_guests_usable() {
    static std::optional<KvmVerdict> cached;
    if (cached) return *cached;
    KvmVerdict v;
    char why[256] = "";
    if (::access("/dev/kvm", R_OK | W_OK) != 0) {
        v.why = "no usable /dev/kvm";
    } else if (hap_kvm_is_pvm()) {
        v.why = "/dev/kvm is PVM-based (kvm_pvm loaded): KVM_RUN of a guest never returns here, so it is not tried";
    } else if (hap_kvm_probe(0, why, sizeof why) != 0) {
        v.why = why;
    } else {
        int pipefd[2];
        if (::pipe(pipefd) != 0) return *(cached = KvmVerdict{false, "pipe failed"});
        pid_t child = ::fork();
        if (child == 0) {
            ::close(pipefd[0]);
            int rc = hap_kvm_probe(1, why, sizeof why);
            (void)!::write(pipefd[1], why, std::strlen(why));
            ::_exit(rc);
        }
        ::close(pipefd[1]);
        int status = 0;
        bool done = false;
        for (int i = 0; i < 300 && !done; ++i) {  // 3 s
            done = ::waitpid(child, &status, WNOHANG) == child;
            if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        if (!done) {
            ::kill(child, SIGKILL);
            ::waitpid(child, &status, 0);
            v.why = "a test guest did not halt within 3 s (KVM_RUN does not return here)";
        } else {
            ssize_t n = ::read(pipefd[0], why, sizeof why - 1);
            why[n > 0 ? n : 0] = '\0';
            v.usable = WIFEXITED(status) && WEXITSTATUS(status) == 0;
            v.why = why;
        }
        ::close(pipefd[0]);
    }
    cached = v;
    return v;
}

}  // namespace hap
