// The vm runtime on a capture recorded in the lab: redis in a q35 guest
// (QEMU 7.2, vhost-net, virtio-9p root) under nested KVM in the lab VM on
// Debian's 6.1 kernel, `measure --runtime vm --mode function_graph,syscalls,kvm
// --record`, thinned to every 40th ring-buffer page per CPU and kept as
// tests/fixtures/vm-q35-redis-6.1.tar.xz (tests/fixtures/README.md).
#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "replay_fixture.h"
#include "replay_source.h"
#include "run_aggregate.h"

using namespace hap;

namespace {
const std::string kCapture = std::string(HAP_UNPACKED_FIXTURES) + "/vm-q35-redis-6.1";

struct Replayed : test::ReplayedCapture {
    std::map<SymbolKind, std::map<Role, std::set<std::string>>> names;
};

std::unique_ptr<Replayed> replay() {
    auto r = test::replay_capture<Replayed>(kCapture);
    for (const auto& h : r->agg.hits([&](uint64_t a) { return r->src->function_name(a); }))
        r->names[h.kind][h.role].insert(h.name);
    return r;
}
}  // namespace

TEST_CASE("a q35 guest's host tasks carry the vmm, vcpu and backend roles", "[vm][capture]") {
    auto r = replay();
    // Discovery's roles, as recorded: QEMU's threads, its vCPU thread, vhost workers.
    std::set<std::string> seeded;
    for (const auto& t : r->src->meta()["tasks"]) seeded.insert(t["role"].get<std::string>());
    CHECK(seeded.count("vmm"));
    CHECK(seeded.count("vcpu"));
    CHECK(seeded.count("backend"));
    const auto& fn = r->names[SymbolKind::Function];
    REQUIRE(fn.count(Role::Vcpu));
    REQUIRE(fn.count(Role::Vmm));
    REQUIRE(fn.count(Role::Backend));
    // The vCPU thread runs the guest through KVM's SVM entry and handles its
    // exits; vhost-net's worker moves the guest's packets (both directions).
    CHECK(fn.at(Role::Vcpu).count("svm_vcpu_run"));
    CHECK(fn.at(Role::Vcpu).count("svm_handle_exit"));
    CHECK(fn.at(Role::Backend).count("handle_tx"));
    CHECK(fn.at(Role::Backend).count("handle_rx"));
    CHECK(fn.at(Role::Vmm).size() > 20);
    CHECK(fn.at(Role::Vcpu).size() > 200);
    // The guest is entered only by vCPU threads.
    for (const auto& [role, names] : fn)
        if (role != Role::Vcpu) CHECK(names.count("svm_vcpu_run") == 0);
}

TEST_CASE("a q35 guest's VM exits are decoded by name, in the vCPU thread", "[vm][capture]") {
    auto r = replay();
    const auto& exits = r->names[SymbolKind::ExitReason];
    REQUIRE(exits.count(Role::Vcpu));
    const auto& vcpu = exits.at(Role::Vcpu);
    CHECK(vcpu.size() >= 3);
    for (const auto& name : vcpu) {
        CHECK(name.rfind("svm:", 0) == 0);  // nested SVM in the lab
        CHECK_FALSE(std::isdigit(static_cast<unsigned char>(name[4])));  // named, not a number
    }
    // Interrupt windows, timer MSR writes and interrupts: what a guest
    // serving redis exits for under nested SVM.
    for (const char* e : {"svm:msr", "svm:intr", "svm:vintr"}) CHECK(vcpu.count(e) == 1);
    // The virtio-net device's notify register, written by the guest (MMIO exit).
    CHECK(r->names[SymbolKind::Mmio][Role::Vcpu].size() >= 1);
    // A one-vCPU Linux guest makes no hypercalls (no PV IPIs, no spinlock
    // kicks); hypercall numbers are decoded in test_symbols.cpp and the lab's
    // KVM micro guest (tests/lab/test_lab_hypercall.sh).
    CHECK(r->names[SymbolKind::Hypercall].empty());
    // Only the vCPU thread leaves the guest: no other role has exits.
    for (const auto& [role, names] : exits) CHECK(role == Role::Vcpu);
    CHECK(r->tasks.role_of(r->src->meta()["tasks"][0]["tid"].get<int>()) != Role::Unknown);
}

TEST_CASE("kvm_exit captured only to find vCPUs marks them without counting exit reasons", "[vm][capture]") {
    // A VM sandbox measured without --mode kvm still has kvm_exit enabled
    // (CaptureRequest::guest_exits): the vCPU is known by entering the guest.
    auto r = test::open_replay<Replayed>(kCapture);
    r->agg.count_exit_reasons(false);
    r->src->drain(r->agg);
    std::set<SymbolKind> kinds;
    for (const auto& h : r->agg.hits([&](uint64_t a) { return r->src->function_name(a); })) kinds.insert(h.kind);
    CHECK(kinds.count(SymbolKind::Function));
    CHECK_FALSE(kinds.count(SymbolKind::ExitReason));
    bool vcpu = false;
    for (const auto& [tid, t] : r->tasks.tasks()) vcpu = vcpu || (t.entered_guest && r->tasks.role_of(tid) == Role::Vcpu);
    CHECK(vcpu);
}

// A real Kata 1.12.1 redis sandbox in the lab (nested KVM, Debian 6.1),
// `measure --runtime kata --mode syscalls --duration 2 --record`: kvm_exit
// came along because it is a VM sandbox (tests/fixtures/README.md).
TEST_CASE("a real Kata sandbox: its unnamed vCPU thread is found by kvm_exit, exit reasons not counted", "[vm][capture][kata]") {
    const std::string dir = std::string(HAP_UNPACKED_FIXTURES) + "/kata-1.12-redis-6.1";
    auto r = test::open_replay<Replayed>(dir);
    // Discovery saw the vCPU (tid 290) blocked in KVM_RUN; had it been running,
    // it would have been seeded vmm (trees/lab-6.1-kata-1.12-redis.json): seed it so.
    r->tasks.seed(290, Role::Vmm, "qemu-system-x86");
    r->agg.count_exit_reasons(false);  // --mode syscalls: as capture_run sets it
    r->src->drain(r->agg);
    CHECK(r->tasks.role_of(290) == Role::Vcpu);
    for (pid_t vmm_thread : {285, 286, 289}) CHECK(r->tasks.role_of(vmm_thread) == Role::Vmm);
    std::map<SymbolKind, std::set<Role>> roles;
    for (const auto& h : r->agg.hits([&](uint64_t a) { return r->src->function_name(a); })) roles[h.kind].insert(h.role);
    CHECK_FALSE(roles.count(SymbolKind::ExitReason));
    CHECK(roles[SymbolKind::Syscall].count(Role::Runtime));  // the shim
    CHECK(roles[SymbolKind::Syscall].count(Role::Vmm));      // QEMU
    CHECK(r->src->meta()["losses"]["dropped"] == 0);
}
