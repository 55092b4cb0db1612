#include <catch2/catch.hpp>

#include "leftovers.h"
#include "oci_spec.h"
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
