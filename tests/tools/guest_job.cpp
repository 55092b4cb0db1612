// Prints the vm guest's /job/run (runners/vm_guest.h, guest_job_script) for
// a process given on the command line, so that tests/cli/test_vm_guest_job.sh
// can run the real script with the real busybox in a chroot on this host:
//   guest_job [--ids UID:GID] [--env NAME=VALUE]... [--workdir DIR] [--scratch DIR]... -- CMD...
#include <cstdio>
#include <iostream>
#include <string>

#include "vm_guest.h"

int main(int argc, char** argv) {
    hap::GuestProcess p;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") { ++i; break; }
        if (i + 1 >= argc) { std::cerr << "guest_job: " << a << " needs a value\n"; return 2; }
        const std::string v = argv[++i];
        if (a == "--ids") {
            if (std::sscanf(v.c_str(), "%u:%u", &p.uid, &p.gid) != 2) { std::cerr << "guest_job: --ids UID:GID\n"; return 2; }
        } else if (a == "--env") {
            p.env.push_back(v);
        } else if (a == "--workdir") {
            p.workdir = v;
        } else if (a == "--scratch") {
            p.scratch.push_back(v);
        } else {
            std::cerr << "guest_job: unknown option " << a << "\n";
            return 2;
        }
    }
    for (; i < argc; ++i) p.command.push_back(argv[i]);
    if (p.command.empty()) { std::cerr << "guest_job: no command after --\n"; return 2; }
    std::cout << hap::guest_job_script(p);
}
