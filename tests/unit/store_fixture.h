// A temporary database path per test, removed afterwards.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "store.h"

struct TempDb {
    std::string path;
    TempDb() {
        static std::atomic<int> n{0};
        path = (std::filesystem::temp_directory_path() /
                ("hap-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".db"))
                   .string();
        remove();
    }
    ~TempDb() { remove(); }
    void remove() const {
        for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    }
};

inline hap::RunStart sample_run(const std::string& runtime = "runc", int rep = 1) {
    hap::RunStart r;
    r.uuid = "uuid-" + runtime + "-" + std::to_string(rep) + "-" + std::to_string(::getpid());
    r.runtime = runtime;
    r.workload = "redis";
    r.mode = "syscalls";
    r.network = "veth";
    r.repetition = rep;
    r.host = {"machine-1", "host-1", 2, 1024};
    r.kernel = {"6.1.0-28-amd64", "#1 SMP Debian", "x86_64", std::nullopt};
    return r;
}

inline hap::RunOutcome sample_outcome() {
    hap::RunOutcome o;
    o.hits = {{"syscall", "workload", "read", "read", 10},
              {"syscall", "workload", "epoll_wait", "epoll_wait", 5},
              {"syscall", "runtime", "read", "read", 2},
              {"syscall", "runtime", "futex", "futex", 7}};
    o.tasks = {{100, 0, "workload", "redis-server", true}, {101, 100, "workload", "bio_close_file", false}};
    o.events = 24;
    o.throughput = 50000;
    o.throughput_unit = "requests/s";
    return o;
}
