#include "netns_link.h"

#include <unistd.h>

#include "process.h"

namespace hap {
namespace {

// Runs one iproute2 command (`ip` or `tc`); a failure names the step and
// the command, with `hint` saying what it needs.
void iproute2(const char* tool, const Argv& args, const std::string& what, const std::string& hint) {
    Argv argv = {tool};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = run_command(argv);
    if (!r) throw UserError(std::string("cannot run ") + tool + ": " + r.error().describe(), "install iproute2");
    if (!r->succeeded()) throw UserError(what + " failed: " + argv_to_string(argv) + ": " + r->summary(), hint);
}

void ip(const Argv& args, const std::string& what) { iproute2("ip", args, what, "network namespaces need root and iproute2"); }

void tc(const Argv& args, const std::string& what) {
    iproute2("tc", args, what, "the vm runtime's network needs the sch_ingress, cls_u32 and act_mirred modules");
}

// Adds a named network namespace. A namespace of that name already there
// cannot be this process's (each link has its own sequence number): it is a
// dead process's whose pid this one now has, so it is removed and the add
// retried once.
void add_netns(const std::string& name) {
    auto r = run_command({"ip", "netns", "add", name});
    if (r && !r->succeeded() && ::access(("/run/netns/" + name).c_str(), F_OK) == 0) {
        (void)run_command({"ip", "netns", "del", name});
        r = run_command({"ip", "netns", "add", name});
    }
    if (!r) throw UserError(std::string("cannot run ip: ") + r.error().describe(), "install iproute2");
    if (!r->succeeded())
        throw UserError("creating network namespace " + name + " failed: ip netns add " + name + ": " + r->summary(),
                        "network namespaces need root and iproute2");
}

}  // namespace

NetnsLink::NetnsLink(int seq) {
    const std::string base = std::string(kNetnsPrefix) + std::to_string(::getpid());
    client_ns_ = base + "c" + std::to_string(seq);
    workload_ns_ = base + "w" + std::to_string(seq);
}

NetnsLink::~NetnsLink() { teardown(); }

void NetnsLink::create_client_ns() {
    add_netns(client_ns_);
    client_made_ = true;
    ip({"-n", client_ns_, "link", "set", "lo", "up"}, "bringing up lo in " + client_ns_);
}

void NetnsLink::create_workload_ns_pair(bool address_workload_end, const SandboxEnd& end) {
    create_client_ns();
    add_netns(workload_ns_);
    workload_made_ = true;
    // Both ends are born in their namespaces: no name is ever taken on the host.
    ip({"link", "add", "hapc0", "netns", client_ns_, "type", "veth", "peer", "name", end.name, "netns", workload_ns_},
       "creating veth pair");
    ip({"-n", client_ns_, "addr", "add", std::string(kClientAddress) + "/30", "dev", "hapc0"}, "client address");
    ip({"-n", client_ns_, "link", "set", "hapc0", "up"}, "client link up");
    if (address_workload_end)
        ip({"-n", workload_ns_, "addr", "add", std::string(kWorkloadAddress) + "/30", "dev", end.name}, "workload address");
    ip({"-n", workload_ns_, "link", "set", end.name, "up"}, "workload link up");
    ip({"-n", workload_ns_, "link", "set", "lo", "up"}, "workload lo up");
    if (end.default_route)
        ip({"-n", workload_ns_, "route", "add", "default", "via", kClientAddress, "dev", end.name}, "workload default route");
}

void NetnsLink::create_with_workload_ns(const SandboxEnd& end) { create_workload_ns_pair(true, end); }

void NetnsLink::create_with_vm_tap(const std::string& tap) {
    create_workload_ns_pair(false, SandboxEnd{});
    ip({"-n", workload_ns_, "tuntap", "add", "dev", tap, "mode", "tap"}, "creating tap " + tap);
    ip({"-n", workload_ns_, "link", "set", tap, "up"}, "tap " + tap + " up");
    for (const auto& [from, to] : {std::pair<std::string, std::string>{"hapw0", tap}, {tap, "hapw0"}}) {
        tc({"-n", workload_ns_, "qdisc", "add", "dev", from, "ingress"}, "ingress qdisc on " + from);
        tc({"-n", workload_ns_, "filter", "add", "dev", from, "parent", "ffff:", "protocol", "all", "u32", "match", "u8", "0",
            "0", "action", "mirred", "egress", "redirect", "dev", to},
           "redirect " + from + " -> " + to);
    }
}

void NetnsLink::create_into_process(pid_t pid, const SandboxEnd& end) {
    create_client_ns();
    workload_ns_.clear();
    const std::string p = std::to_string(pid);
    ip({"link", "add", "hapc0", "netns", client_ns_, "type", "veth", "peer", "name", end.name, "netns", p},
       "creating veth pair into process " + p);
    ip({"-n", client_ns_, "addr", "add", std::string(kClientAddress) + "/30", "dev", "hapc0"}, "client address");
    ip({"-n", client_ns_, "link", "set", "hapc0", "up"}, "client link up");
    std::vector<Argv> steps = {Argv{"addr", "add", std::string(kWorkloadAddress) + "/30", "dev", end.name},
                               Argv{"link", "set", end.name, "up"}, Argv{"link", "set", "lo", "up"}};
    if (end.default_route) steps.push_back(Argv{"route", "add", "default", "via", kClientAddress, "dev", end.name});
    for (const Argv& a : steps) {
        Argv argv = {"nsenter", "-t", p, "-n", "ip"};
        argv.insert(argv.end(), a.begin(), a.end());
        auto r = run_command(argv);
        if (!r || !r->succeeded())
            throw UserError("configuring the sandbox end of the veth failed: " + argv_to_string(argv) + ": " +
                            (r ? r->summary() : r.error().describe()));
    }
}

void NetnsLink::teardown() noexcept {
    // Deleting a namespace destroys the veth end inside it, and so its peer.
    if (workload_made_) (void)run_command({"ip", "netns", "del", workload_ns_});
    if (client_made_) (void)run_command({"ip", "netns", "del", client_ns_});
    workload_made_ = client_made_ = false;
}

}  // namespace hap
