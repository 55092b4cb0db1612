// The network path from load generator to workload: a client network
// namespace and a veth pair into the sandbox's namespace, both created by hap
// with addresses that exist only inside them (MACHINE-NOTES.md: traffic goes
// only to loopback or namespaces we made). Names carry the owner's pid so a
// later hap can remove what a killed one left (see leftovers.h).
#pragma once

#include <sys/types.h>

#include <string>

#include "error.h"
#include "workload.h"

namespace hap {

inline constexpr const char* kNetnsPrefix = "hap";
inline constexpr const char* kClientAddress = "10.213.0.1";
inline constexpr const char* kWorkloadAddress = "10.213.0.2";

// The sandbox's end of the veth: hap's own name and no route, or as a
// runtime that takes over the namespace's interface expects it (runnc needs
// `eth0` holding an IPv4 address and a default route at create: it bridges
// eth0 with a tap of its own and hands the address to the unikernel).
struct SandboxEnd {
    std::string name = "hapw0";
    bool default_route = false;  // via the client address

    static SandboxEnd like_docker_eth0() { return {"eth0", true}; }
};

class NetnsLink {
public:
    explicit NetnsLink(int seq);  // seq tells apart the links of one hapctl
    ~NetnsLink();
    NetnsLink(const NetnsLink&) = delete;
    NetnsLink& operator=(const NetnsLink&) = delete;

    // Named workload namespace for runtimes that join one (OCI bundles).
    void create_with_workload_ns(const SandboxEnd& end = {});
    // Veth into the namespace of a running process (Docker --network none).
    void create_into_process(pid_t pid, const SandboxEnd& end = {});
    // For a VM: a tap `tap` in the workload namespace, joined to the veth's
    // end there by tc mirred redirects both ways (Kata's default "tcfilter"
    // network model). That end stays unaddressed: the guest's eth0 holds
    // the workload address. Needs the tun, sch_ingress, cls_u32 and
    // act_mirred kernel modules.
    void create_with_vm_tap(const std::string& tap);

    const std::string& client_ns() const { return client_ns_; }
    const std::string& workload_ns() const { return workload_ns_; }  // "" for create_into_process
    std::string workload_ns_path() const { return "/var/run/netns/" + workload_ns_; }
    void teardown() noexcept;

private:
    void create_client_ns();
    void create_workload_ns_pair(bool address_workload_end, const SandboxEnd& end);
    std::string client_ns_, workload_ns_;
    bool client_made_ = false, workload_made_ = false;
};

// Where the load generator reaches the workload's `port` through `link`
// (no link yet: the host's namespace).
inline Endpoint endpoint_through(const NetnsLink* link, int port) {
    return Endpoint{link ? link->client_ns() : "", kWorkloadAddress, port};
}

}  // namespace hap
