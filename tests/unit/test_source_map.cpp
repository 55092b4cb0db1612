// Where a profile lives (issue 23): MAINTAINERS matching and its tie rule on
// an excerpt of Linux 6.1's MAINTAINERS, function -> file on rows cut from
// the table scripts/sources/build-table made from Debian's linux-source-6.1
// (exact, ambiguous, unmapped), renames across kernels, and diff/check/store
// with a map imported (tests/fixtures/sources/README.md).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cell_figures.h"
#include "long_export.h"
#include "regression_check.h"
#include "set_diff.h"
#include "source_map.h"
#include "store_fixture.h"
#include "subsystem_view.h"

using namespace hap;

namespace {

const std::string kDir = std::string(HAP_FIXTURES) + "/sources/";

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

Maintainers maintainers_61() {
    std::ifstream in(kDir + "MAINTAINERS-6.1-excerpt");
    REQUIRE(in);
    return Maintainers::parse(in);
}

std::vector<SourceRow> rows_of(const std::string& file, std::string* description = nullptr) {
    std::ifstream in(kDir + file);
    REQUIRE(in);
    auto rows = parse_source_csv(in, file, description);
    REQUIRE(rows.ok());
    return *rows;
}

SourceMap map_61() { return SourceMap(rows_of("src-6.1-excerpt.csv"), maintainers_61()); }

}  // namespace

TEST_CASE("MAINTAINERS: sections after the list's heading, the header's examples left out", "[sources][maintainers]") {
    const Maintainers m = maintainers_61();
    CHECK(m.size() == 20);
    CHECK(m.unreadable_regexes() == 0);
    // The header's tab-indented "F: drivers/net/" example is no section.
    CHECK(m.section_of("drivers/net/tun.c").section == kRestSection);
}

TEST_CASE("MAINTAINERS: the most specific pattern wins, THE REST last", "[sources][maintainers]") {
    const Maintainers m = maintainers_61();
    // net/ipv4/tcp*.c (depth 3) over net/ipv4/ (2) over net/ (1).
    auto tcp = m.section_of("net/ipv4/tcp.c");
    CHECK(tcp.section == "NETWORKING [TCP]");
    CHECK(tcp.pattern == "net/ipv4/tcp*.c");
    CHECK(tcp.depth == 3);
    CHECK(m.section_of("net/ipv4/route.c").section == "NETWORKING [IPv4/IPv6]");
    CHECK(m.section_of("net/core/dev.c").section == "NETWORKING [GENERAL]");
    // "arch/x86/kvm/*/" (depth 4) for vmx/, "arch/x86/kvm/" (3) over "arch/x86/" (2).
    CHECK(m.section_of("arch/x86/kvm/vmx/vmx.c").section == "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)");
    CHECK(m.section_of("arch/x86/kvm/x86.c").section == "KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)");
    CHECK(m.section_of("arch/x86/mm/fault.c").section == "X86 ARCHITECTURE (32-BIT AND 64-BIT)");
    // A glob with '?' and '*': mm/sl?b* (depth 2) over mm/ (1).
    CHECK(m.section_of("mm/slub.c").section == "SLAB ALLOCATOR");
    CHECK(m.section_of("mm/page_alloc.c").section == "MEMORY MANAGEMENT");
    // kernel/fork.c: no section of 6.1 names it or a directory above it.
    auto fork = m.section_of("kernel/fork.c");
    CHECK(fork.section == kRestSection);
    CHECK(fork.depth == -1);
}

TEST_CASE("MAINTAINERS: '*' stays within one directory, a trailing '/' takes everything below", "[sources][maintainers]") {
    const Maintainers m = maintainers_61();
    // FUTEX: kernel/futex/* is the files in kernel/futex, not below.
    CHECK(m.section_of("kernel/futex/core.c").section == "FUTEX SUBSYSTEM");
    CHECK(m.section_of("kernel/futex/sub/x.c").section == kRestSection);
    // VFS: fs/* is fs's own files; fs/ext4/inode.c is below it.
    CHECK(m.section_of("fs/read_write.c").section == "FILESYSTEMS (VFS and infrastructure)");
    CHECK(m.section_of("fs/ext4/inode.c").section == kRestSection);
    // SCHEDULER: kernel/sched/ takes every depth below.
    CHECK(m.section_of("kernel/sched/core.c").section == "SCHEDULER");
}

TEST_CASE("MAINTAINERS: X: excludes a file from its section, N: matches at depth 0", "[sources][maintainers]") {
    const Maintainers m = maintainers_61();
    CHECK(m.section_of("security/commoncap.c").section == "SECURITY SUBSYSTEM");
    // X: security/selinux/; the excerpt has no SELINUX section.
    CHECK(m.section_of("security/selinux/hooks.c").section == kRestSection);
    CHECK(m.section_of("security/apparmor/lsm.c").section == "APPARMOR SECURITY MODULE");
    // BPF JIT for X86 64-BIT has F: arch/x86/net/ (depth 3), NETWORKING
    // [IPv4/IPv6] F: arch/x86/net/* (depth 4: a glob over a directory's files
    // ranks deeper than the directory, as get_maintainer.pl ranks it).
    auto jit = m.section_of("arch/x86/net/bpf_jit_comp.c");
    CHECK(jit.section == "NETWORKING [IPv4/IPv6]");
    CHECK(jit.depth == 4);
    // EXEC & BINFMT API's fs/*binfmt_*.c ties VFS's fs/* at depth 2 and has
    // more literal characters.
    CHECK(m.section_of("fs/binfmt_elf.c").section == "EXEC & BINFMT API");
    // Its "N: binfmt" (a regex, depth 0) places what no F: pattern reaches ...
    auto n = m.section_of("fs/binfmt_misc/entry.c");
    CHECK(n.section == "EXEC & BINFMT API");
    CHECK(n.pattern == "binfmt");
    CHECK(n.depth == 0);
    CHECK(m.section_of("arch/arm64/include/asm/elf.h").section == "EXEC & BINFMT API");  // N: asm/elf.h
    // ... and loses to any F: match deeper than 0.
    CHECK(m.section_of("arch/x86/include/asm/elf.h").section == "X86 ARCHITECTURE (32-BIT AND 64-BIT)");
}

TEST_CASE("MAINTAINERS tie rule: more literal characters, then the section that comes first", "[sources][maintainers][tie]") {
    const Maintainers m = maintainers_61();
    // Depth 2 both: EXEC's "fs/exec.c" (9 literal characters) over VFS's "fs/*" (3).
    auto exec = m.section_of("fs/exec.c");
    CHECK(exec.section == "EXEC & BINFMT API");
    CHECK(exec.pattern == "fs/exec.c");
    // Depth 3 both: "kernel/time/hrtimer.c" over POSIX CLOCKS's "kernel/time/*timer*".
    CHECK(m.section_of("kernel/time/hrtimer.c").section == "HIGH-RESOLUTION TIMERS, CLOCKEVENTS");
    CHECK(m.section_of("kernel/time/posix-timers.c").section == "POSIX CLOCKS and TIMERS");
    // Three sections name drivers/base/power/ alike: the first in MAINTAINERS wins.
    CHECK(m.section_of("drivers/base/power/wakeup.c").section == "HIBERNATION (aka Software Suspend, aka swsusp)");
}

TEST_CASE("top directories: two levels, three under arch/", "[sources][maintainers]") {
    CHECK(top_directory("net/ipv4/tcp.c") == "net/ipv4");
    CHECK(top_directory("fs/ext4/inode.c") == "fs/ext4");
    CHECK(top_directory("arch/x86/kvm/vmx/vmx.c") == "arch/x86/kvm");
    CHECK(top_directory("arch/x86/kvm/x86.c") == "arch/x86/kvm");
    CHECK(top_directory("kernel/fork.c") == "kernel");
    CHECK(top_directory("drivers/vhost/vhost.c") == "drivers/vhost");
    CHECK(top_directory("drivers/net/ethernet/intel/e1000/e1000_main.c") == "drivers/net");
}

TEST_CASE("source table: the header and its first comment line, bad rows refused", "[sources]") {
    std::string description;
    auto rows = rows_of("src-6.1-excerpt.csv", &description);
    CHECK(description.find("Debian linux-source-6.1 6.1.192-3") != std::string::npos);
    CHECK(rows.size() == 30);
    std::istringstream no_header("copy_process,kernel/fork.c,2105,c\n");
    CHECK(parse_source_csv(no_header, "x.csv").error().message.find("expected the header") != std::string::npos);
    std::istringstream bad_line("function,file,line,how\ncopy_process,kernel/fork.c,x,c\n");
    CHECK(parse_source_csv(bad_line, "x.csv").error().message == "x.csv:2: line 'x' is not a positive integer");
}

TEST_CASE("function -> file by name: exact, ambiguous, unmapped; syscalls by their definition", "[sources]") {
    const SourceMap map = map_61();
    auto cp = map.locate("function", "copy_process");
    CHECK(cp.status == SourceLocation::Status::Mapped);
    CHECK(cp.file() == "kernel/fork.c");
    CHECK(cp.section == kRestSection);
    CHECK(cp.directory == "kernel");
    auto tcp = map.locate("function", "tcp_sendmsg");
    CHECK(tcp.section == "NETWORKING [TCP]");
    CHECK(tcp.directory == "net/ipv4");
    // A header's static inline where no C file defines the name.
    CHECK(map.locate("function", "get_task_struct").file() == "include/linux/sched/task.h");
    // Defined in several files: all listed, none chosen.
    auto memcpy = map.locate("function", "memcpy");
    CHECK(memcpy.status == SourceLocation::Status::Ambiguous);
    CHECK(memcpy.files.size() == 4);
    CHECK(memcpy.section == kAmbiguous);
    CHECK(memcpy.directory == kAmbiguous);
    CHECK_FALSE(map.position("memcpy"));
    // Ambiguous, but every file it is in has one section: that is known.
    auto kmem = map.locate("function", "kmem_cache_alloc");
    CHECK(kmem.status == SourceLocation::Status::Ambiguous);
    CHECK(kmem.file() == "mm/slab.c;mm/slob.c;mm/slub.c");
    CHECK(kmem.section == "SLAB ALLOCATOR");
    CHECK(kmem.directory == "mm");
    // Not in the table (a macro-made function): unmapped.
    auto bpf_lsm = map.locate("function", "bpf_lsm_file_open");
    CHECK(bpf_lsm.status == SourceLocation::Status::Unmapped);
    CHECK(bpf_lsm.section == kUnmapped);
    CHECK(bpf_lsm.files.empty());
    // Syscalls: SYSCALL_DEFINE3(read, ...) in fs/read_write.c.
    CHECK(map.locate("syscall", "read").file() == "fs/read_write.c");
    CHECK(map.locate("syscall", "read").section == "FILESYSTEMS (VFS and infrastructure)");
    CHECK(map.locate("syscall", "clone").file() == "kernel/fork.c");
    CHECK(map.locate("syscall", "frobnicate").status == SourceLocation::Status::Unmapped);
    // HAP_hc's names, at the function that handles them.
    CHECK(map.locate("hypercall", "hypercall:KVM_HC_KICK_CPU").file() == "arch/x86/kvm/x86.c");
    CHECK(map.locate("hypercall", "exit_reason:vmx:EPT_VIOLATION").file() == "arch/x86/kvm/vmx/vmx.c");
    CHECK(map.locate("hypercall", "exit_reason:svm:npf").file() == "arch/x86/kvm/svm/svm.c");
}

TEST_CASE("names grouped by section add up to the union, unmapped counted", "[sources]") {
    const SourceMap map = map_61();
    const std::set<std::string> names = {"copy_process", "tcp_sendmsg", "memcpy", "bpf_lsm_file_open", "schedule", "ksys_read"};
    auto groups = group_names(names, "function", &map, false);
    size_t total = 0, unmapped = 0;
    for (const auto& g : groups) {
        total += g.names.size();
        if (g.group == kUnmapped) unmapped = g.names.size();
    }
    CHECK(total == names.size());
    CHECK(unmapped == 1);
    auto dirs = group_names(names, "function", &map, true);
    CHECK(std::any_of(dirs.begin(), dirs.end(), [](const NameGroup& g) { return g.group == "net/ipv4"; }));
    CHECK(group_names(names, "function", nullptr, false).front().group == kUnmapped);
}

TEST_CASE("a source map is stored per kernel, replaced on import, and merged with its runs' store", "[sources][store]") {
    TempDb db, other;
    auto s = std::move(Store::open(db.path).value());
    StoredSourceMap m;
    m.origin = "src-6.1-excerpt.csv";
    m.rows = rows_of("src-6.1-excerpt.csv", &m.description);
    m.maintainers = slurp(kDir + "MAINTAINERS-6.1-excerpt");
    REQUIRE(s->import_source_map("6.1.0-57-amd64", m).ok());
    auto back = s->source_map("6.1.0-57-amd64");
    REQUIRE(back.ok());
    REQUIRE(*back);
    CHECK((*back)->rows.size() == 30);
    CHECK((*back)->description == m.description);
    const SourceMap map = SourceMap::from_stored(**back);
    CHECK(map.locate("function", "tcp_sendmsg").section == "NETWORKING [TCP]");
    CHECK_FALSE(*s->source_map("6.12.95+deb12-amd64"));
    // Importing again replaces the kernel's map.
    m.rows.resize(2);
    REQUIRE(s->import_source_map("6.1.0-57-amd64", m).ok());
    CHECK((*s->source_map("6.1.0-57-amd64"))->rows.size() == 2);
    auto dst = std::move(Store::open(other.path).value());
    auto n = dst->merge_from(db.path);
    REQUIRE(n.ok());
    CHECK(n->source_maps == 1);
    CHECK((*dst->source_map("6.1.0-57-amd64"))->rows.size() == 2);
    CHECK(dst->merge_from(db.path)->source_maps == 0);  // present already: kept
}
