// Naming each syscall from the table of the ABI it entered through, on
// synthetic records (issue 13: int $0x80 with eax=20/122 was stored as
// writev/setfsuid).
#include <catch2/catch.hpp>

#include "kallsyms.h"
#include "run_aggregate.h"
#include "synthetic_source.h"

using namespace hap;

namespace {
// The entry path of Debian's 6.1 (stable backport of the table switch):
// after raw_syscalls:sys_enter come ia32_sys_call / x64_sys_call, then the stub.
constexpr int64_t kIa32SysCall = 0x1000, kIa32Getpid = 0x1100, kX64SysCall = 0x2000, kX64Writev = 0x2100,
                  kDoInt80 = 0x3000, kDoSyscall64 = 0x3100, kVfsRead = 0x5000;

EntryPathIndex index_6_1() {
    return EntryPathIndex::of(Kallsyms::parse("0000000000001000 T ia32_sys_call\n"
                                              "0000000000001100 T __ia32_sys_getpid\n"
                                              "0000000000001200 T __ia32_sys_newuname\n"
                                              "0000000000002000 T x64_sys_call\n"
                                              "0000000000002100 T __x64_sys_writev\n"
                                              "0000000000003000 T do_int80_syscall_32\n"
                                              "0000000000003100 T do_syscall_64\n"
                                              "0000000000003200 T syscall_exit_to_user_mode\n"
                                              "0000000000005000 T vfs_read\n"
                                              "0000000000006000 T vfs_write\n"));
}

SyntheticEvent sys(int pid, int64_t nr, uint64_t ts = 0, int cpu = 0) {
    return {TraceEvent{EventKind::SyscallEnter, cpu, pid, 0, ts, nr, 0, {}, {}}, ""};
}
SyntheticEvent fn(int pid, int64_t addr, uint64_t ts = 0, int cpu = 0) {
    return {TraceEvent{EventKind::FuncGraphEntry, cpu, pid, 0, ts, addr, 0, {}, {}}, ""};
}
SyntheticEvent exec_ev(int pid, const char* comm, uint64_t ts = 0, int cpu = 0) {
    return {TraceEvent{EventKind::ProcessExec, cpu, pid, 0, ts, pid, 0, {}, {}}, comm};
}
SyntheticEvent fork_ev(int parent, int child, uint64_t ts = 0) {
    return {TraceEvent{EventKind::ProcessFork, 0, parent, 0, ts, child, 0, {}, {}}, "child"};
}
std::map<std::string, uint64_t> syscalls(const RunAggregate& agg) {
    std::map<std::string, uint64_t> out;
    for (const auto& h : agg.hits())
        if (h.kind == SymbolKind::Syscall) out[h.name] += h.count;
    return out;
}
// An exec reader for programs named by comm: "probe32" is an i386 ELF.
SyscallAbi by_comm(pid_t, uint64_t, std::string_view, std::string_view comm) {
    return comm == "probe32" ? SyscallAbi::Ia32 : comm == "unreadable" ? SyscallAbi::Unknown : SyscallAbi::X86_64;
}
// One workload task, tid 1, seeded as a 64-bit program; its execs read by
// comm (by_comm) unless `read_execs` is false.
struct OneTask {
    TaskTable tasks;
    RunAggregate agg{tasks};
    explicit OneTask(const char* comm, bool read_execs = true) {
        tasks.seed(1, Role::Workload, comm);
        agg.abis().seed(1, SyscallAbi::X86_64);
        if (read_execs) agg.abis().set_exec_reader(by_comm);
    }
};
}  // namespace

TEST_CASE("int 0x80 from a 64-bit program is named from the ia32 table by its dispatch records", "[abi][aggregate]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "int80probe");
    RunAggregate agg(tasks);
    agg.abis().seed(1, SyscallAbi::X86_64);  // the program is 64-bit: only the records can tell
    agg.use_entry_path(index_6_1());
    std::vector<SyntheticEvent> ev;
    for (int i = 0; i < 3; ++i)
        for (auto e : {sys(1, 20), fn(1, kIa32SysCall), fn(1, kIa32Getpid), fn(1, kVfsRead)}) ev.push_back(e);
    for (int i = 0; i < 3; ++i)
        for (auto e : {sys(1, 122), fn(1, kIa32SysCall), fn(1, 0x1200)}) ev.push_back(e);
    // The same number through `syscall`, and one that is still waiting for
    // its dispatch record when the capture ends (the program's ABI names it).
    for (auto e : {sys(1, 20), fn(1, kX64SysCall), fn(1, kX64Writev), sys(1, 20)}) ev.push_back(e);
    SyntheticSource src(std::move(ev));
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("ia32:getpid") == 3);
    CHECK(s.at("ia32:uname") == 3);
    CHECK(s.at("writev") == 2);
    CHECK_FALSE(s.count("setfsuid"));
    const auto src_counts = agg.abi_sources();
    CHECK(src_counts.entry_path == 7);
    CHECK(src_counts.program == 1);
    CHECK(src_counts.unknown == 0);
}

TEST_CASE("a before-sys_enter entry function names the next syscall of its task on its CPU", "[abi][aggregate]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "w");
    tasks.seed(2, Role::Workload, "w");
    RunAggregate agg(tasks);
    agg.use_entry_path(index_6_1());
    // Kernels before 5.9 trace do_int80_syscall_32; no program ABI seeded.
    SyntheticSource src({fn(1, kDoInt80), sys(1, 20), fn(2, kDoSyscall64, 0, 1), sys(2, 20, 0, 1),
                         // a dispatch record on another CPU or of another task says nothing
                         sys(1, 122), fn(2, kIa32SysCall), sys(2, 122, 0, 1), fn(1, kIa32SysCall, 0, 1)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("writev") == 1);
    CHECK(s.at("unknown:122") == 2);
    CHECK(agg.abi_sources().unknown == 2);
}

TEST_CASE("in syscalls mode a task's program says its ABI, from its exec on", "[abi][aggregate]") {
    OneTask t("sh");
    RunAggregate& agg = t.agg;
    SyntheticSource src({sys(1, 20, 10), exec_ev(1, "probe32", 20), sys(1, 20, 30), sys(1, 122, 31),
                         fork_ev(1, 2, 40), sys(2, 20, 50),  // the child runs the same program
                         exec_ev(2, "unreadable", 60), sys(2, 20, 70)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("writev") == 1);
    CHECK(s.at("ia32:getpid") == 2);
    CHECK(s.at("ia32:uname") == 1);
    CHECK(s.at("unknown:20") == 1);  // its program could not be read: never a guess
    CHECK(agg.abi_sources().unknown == 1);
    CHECK(agg.abi_sources().program == 4);
}

TEST_CASE("records decoded before their task's exec record are unknown only when the programs differ", "[abi][aggregate]") {
    TaskTable tasks;
    tasks.seed(1, Role::Workload, "sh");
    tasks.seed(5, Role::Workload, "sh");
    RunAggregate agg(tasks);
    agg.abis().seed(1, SyscallAbi::X86_64);
    agg.abis().seed(5, SyscallAbi::X86_64);
    agg.abis().set_exec_reader(by_comm);
    // CPU 1's page (after the exec, the task moved) decoded before CPU 0's.
    SyntheticSource src({sys(1, 13, 5, 0), sys(1, 20, 30, 1), exec_ev(1, "probe32", 20, 0), sys(1, 20, 40, 1),
                         sys(5, 0, 30, 1), exec_ev(5, "ls", 20, 0), sys(5, 1, 40, 1)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("unknown:13") == 1);  // its epoch holds records of both programs
    CHECK(s.at("unknown:20") == 1);
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("read") == 1);  // x86_64 before and after: no doubt
    CHECK(s.at("write") == 1);
}

TEST_CASE("records of the program before an exec, decoded after its record, are counted under that program", "[abi][aggregate]") {
    // exec moves a task to another CPU (sched_exec): its exec and the new
    // program's calls on CPU 0 are read before the old program's on CPU 1.
    OneTask t("hapctl");
    RunAggregate& agg = t.agg;
    SyntheticSource src({exec_ev(1, "probe32", 20, 0), sys(1, 20, 30, 0), sys(1, 1, 40, 0),  // CPU 0
                         sys(1, 13, 5, 1), sys(1, 59, 10, 1)});                             // CPU 1
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("rt_sigaction") == 1);
    CHECK(s.at("execve") == 1);
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("ia32:exit") == 1);
    CHECK(agg.abi_sources().unknown == 0);
}

TEST_CASE("execs decoded out of time order: each record under the exec before it in time", "[abi][aggregate]") {
    OneTask t("sh");
    RunAggregate& agg = t.agg;
    // sh execs ls at 10 and probe32 at 50; probe32's exec is decoded first.
    SyntheticSource src({exec_ev(1, "probe32", 50, 0), sys(1, 20, 60, 0), exec_ev(1, "ls", 10, 1), sys(1, 0, 20, 1),
                         sys(1, 1, 70, 1)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("read") == 1);  // ls, at 20
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("ia32:exit") == 1);
    CHECK(agg.abi_sources().unknown == 0);
}

TEST_CASE("a source that says what is all delivered lets the next program's records wait for their exec", "[abi][aggregate]") {
    OneTask t("hapctl");
    RunAggregate& agg = t.agg;
    agg.on_decoded_through(0);
    // One read: CPU 1 (the task moved there after its exec) before CPU 0.
    SyntheticSource({sys(1, 20, 30, 1), sys(1, 122, 31, 1), sys(1, 13, 5, 0), exec_ev(1, "probe32", 20, 0)}).drain(agg);
    agg.on_decoded_through(15);  // only what is older than the first read's newest page
    CHECK(agg.abi_sources().unknown == 0);
    SyntheticSource({sys(1, 1, 50, 1)}).drain(agg);
    agg.on_decoded_through(UINT64_MAX);
    const auto s = syscalls(agg);
    CHECK(s.at("rt_sigaction") == 1);
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("ia32:uname") == 1);
    CHECK(s.at("ia32:exit") == 1);
    CHECK(agg.abi_sources().unknown == 0);
    CHECK(agg.abi_sources().program == 4);
}

TEST_CASE("syscalls still held when the capture ends are named, not lost", "[abi][aggregate]") {
    OneTask t("sh", false);
    RunAggregate& agg = t.agg;
    agg.on_decoded_through(0);
    SyntheticSource({sys(1, 0, 10), sys(1, 0, 20)}).drain(agg);
    CHECK(syscalls(agg).at("read") == 2);
    CHECK(agg.abi_sources().program == 2);
}

TEST_CASE("a replay that knows its execs counts records decoded before an exec under it", "[abi][aggregate]") {
    OneTask t("hapctl", false);
    RunAggregate& agg = t.agg;
    agg.abis().known_exec(1, 20, SyscallAbi::Ia32);  // capture meta "syscall_abis"
    SyntheticSource src({sys(1, 20, 30, 1), sys(1, 13, 5, 0), exec_ev(1, "whatever", 20, 0), sys(1, 1, 40, 1)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("ia32:getpid") == 1);
    CHECK(s.at("rt_sigaction") == 1);
    CHECK(s.at("ia32:exit") == 1);
    REQUIRE(agg.abis().execs_seen().size() == 1);  // the known exec's record, once
    CHECK(agg.abis().execs_seen()[0].abi == SyscallAbi::Ia32);
}

TEST_CASE("a child inherits the program its parent ran when it forked, by time", "[abi][aggregate]") {
    OneTask t("sh");
    RunAggregate& agg = t.agg;
    // The parent exec'd probe32 at 10 and forked at 20, but the fork record
    // (and the child's syscall) is decoded before the exec record.
    SyntheticSource src({fork_ev(1, 2, 20), sys(2, 20, 25), exec_ev(1, "probe32", 10)});
    src.drain(agg);
    CHECK(syscalls(agg).at("ia32:getpid") == 1);
}

TEST_CASE("the x32 bit names an x32 syscall whatever the program", "[abi][aggregate]") {
    OneTask t("w", false);
    RunAggregate& agg = t.agg;
    SyntheticSource src({sys(1, kX32SyscallBit + 39), sys(1, 39)});
    src.drain(agg);
    const auto s = syscalls(agg);
    CHECK(s.at("x32:getpid") == 1);
    CHECK(s.at("getpid") == 1);
    CHECK(agg.abi_sources().x32_bit == 1);
}

TEST_CASE("The entry-path index finds its functions on any page, and nothing where none lies", "[abi]") {
    const EntryPathIndex idx = index_6_1();
    REQUIRE(idx.find(kIa32Getpid + 4));
    CHECK(idx.find(kIa32Getpid + 4)->abi == SyscallAbi::Ia32);
    CHECK(idx.find(kX64Writev)->abi == SyscallAbi::X86_64);
    CHECK(idx.find(kDoSyscall64 + 0xff)->before_sys_enter);
    CHECK(idx.find(0x3200) == nullptr);  // syscall_exit_to_user_mode: a page with entry-path functions
    CHECK(idx.find(kVfsRead) == nullptr);  // a page with none
    CHECK(idx.find(0x800) == nullptr);     // below every function
    CHECK(idx.find(0xffffffff81000000ull) == nullptr);
    // A function over a page boundary is found on both pages.
    const EntryPathIndex across = EntryPathIndex::of(Kallsyms::parse("0000000000001f00 T __x64_sys_read\n"
                                                                     "0000000000003400 T vfs_read\n"));
    REQUIRE(across.find(0x2300));
    CHECK(across.find(0x1f00)->abi == SyscallAbi::X86_64);
    CHECK(across.find(0x33ff)->abi == SyscallAbi::X86_64);
    CHECK(across.find(0x3400) == nullptr);
}
