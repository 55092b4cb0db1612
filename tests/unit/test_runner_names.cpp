#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "kata_runner.h"
#include "leftovers.h"
#include "oci_spec.h"
#include "process_snapshot.h"
#include "vm_discovery.h"
#include "workload.h"

using namespace hap;

TEST_CASE("owner pids are read back from the names hap gives things", "[leftovers]") {
    CHECK(owner_pid_of("hap-1234-0") == 1234);
    CHECK(owner_pid_of("hap4321c3") == 4321);
    CHECK(owner_pid_of("hap4321w3") == 4321);
    CHECK(owner_pid_of("dockerd-77") == 77);
    CHECK(owner_pid_of("hapt-c") == 0);
    CHECK(owner_pid_of("happy") == 0);
    CHECK(owner_pid_of("other-1234-0") == 0);
}

TEST_CASE("the OCI spec joins hap's network namespace on a read-only shared root", "[oci]") {
    OciSpecParams p;
    p.args = {"/usr/bin/redis-server"};
    p.rootfs = "/var/cache/hap/images/redis/rootfs";
    p.netns_path = "/var/run/netns/hap1w0";
    p.cgroups_path = "/hap/hap-1-0";
    p.scratch_dirs = {"/var/lib/redis"};
    auto spec = make_oci_spec(p);
    CHECK(spec["root"]["readonly"] == true);
    CHECK(spec["root"]["path"] == p.rootfs);
    bool netns = false;
    for (const auto& ns : spec["linux"]["namespaces"]) netns = netns || (ns["type"] == "network" && ns["path"] == p.netns_path);
    CHECK(netns);
    bool scratch = false;
    for (const auto& m : spec["mounts"]) scratch = scratch || m["destination"] == "/var/lib/redis";
    CHECK(scratch);
    CHECK(spec["process"]["args"][0] == "/usr/bin/redis-server");
}

TEST_CASE("unknown workloads are usage errors that list the known ones", "[workload]") {
    try {
        make_workload("mysql");
        FAIL("no error");
    } catch (const UserError& e) {
        CHECK(e.exit_code() == kExitUsage);
        CHECK_THAT(e.hint(), Catch::Contains("redis"));
    }
    CHECK(in_netns("hap1c0", {"redis-cli", "PING"}) == Argv{"ip", "netns", "exec", "hap1c0", "redis-cli", "PING"});
    CHECK(in_netns("", {"redis-cli"}) == Argv{"redis-cli"});
}

TEST_CASE("Kata: runtime-rs with Dragonball is told apart from a shim with a VMM beside it", "[kata]") {
    ProcessSnapshot s;
    SnapProcess shim;
    shim.pid = shim.tgid = 900;
    shim.ppid = 1;
    shim.comm = "containerd-shim";
    shim.exe = "/opt/kata/runtime-rs/bin/containerd-shim-kata-v2";
    shim.cmdline = {"/opt/kata/runtime-rs/bin/containerd-shim-kata-v2", "-namespace", "hap", "-id", "k9"};
    shim.threads = {SnapThread{900, 900, 1, "containerd-shim", ""}, SnapThread{901, 900, 1, "vmm_master", ""},
                    SnapThread{902, 900, 1, "db_vcpu_0", ""}};
    s.processes = {shim};
    CHECK(vmm_in_kata_shim(s, "k9"));
    CHECK_FALSE(vmm_in_kata_shim(s, "k8"));  // another sandbox's
    CHECK_FALSE(vmm_of_sandbox(s, "k9").has_value());
}

TEST_CASE("Kata: the shim's flavour comes from its version string; ctr's tmpfs mounts", "[kata]") {
    const std::string dir = std::filesystem::temp_directory_path() / ("hap-kata-shim-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto write = [&](const std::string& name, const std::string& body) {
        std::ofstream(dir + "/" + name, std::ios::binary) << body;
        return dir + "/" + name;
    };
    // Across the 1 MiB read boundary too.
    CHECK(kata_shim_flavour(write("go", std::string((1 << 20) - 10, 'x') + "containerd shim (Golang)")) == "go");
    CHECK(kata_shim_flavour(write("rust", "\x7f" "ELF...containerd shim (Rust)...")) == "rust");
    CHECK(kata_shim_flavour(write("other", "a shell script")) == "");
    CHECK(kata_shim_flavour(dir + "/missing") == "");
    std::filesystem::remove_all(dir);
    CHECK(ctr_tmpfs_mount("/var/lib/redis") == "type=tmpfs,src=tmpfs,dst=/var/lib/redis,options=rw:nosuid:nodev:mode=1777");
}
