#include "host_facts.h"

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "files.h"

namespace hap {

HostFacts read_host_facts() {
    HostFacts h;
    utsname u{};
    ::uname(&u);
    h.hostname = u.nodename;
    auto mid = read_file("/etc/machine-id");
    h.machine_id = mid && !trim(*mid).empty() ? trim(*mid) : "host:" + h.hostname;
    h.cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    h.memory_kb = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE) / 1024;
    return h;
}

KernelFacts read_kernel_facts(const std::string& tracing_dir, bool count_functions) {
    KernelFacts k;
    utsname u{};
    ::uname(&u);
    k.release = u.release;
    k.version = u.version;
    k.arch = u.machine;
    if (!count_functions) return k;
    // Counted by streaming: the file is large (tens of thousands of lines).
    int fd = ::open((tracing_dir + "/available_filter_functions").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        char buf[65536];
        int64_t lines = 0;
        ssize_t n;
        bool ok = true;
        while ((n = ::read(fd, buf, sizeof buf)) != 0) {
            if (n < 0) {
                ok = false;  // EPERM on hosts that lock function tracing down
                break;
            }
            for (ssize_t i = 0; i < n; ++i) lines += buf[i] == '\n';
        }
        ::close(fd);
        if (ok && lines > 0) k.traceable_functions = lines;
    }
    return k;
}

}  // namespace hap
