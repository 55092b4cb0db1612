// Where a profile lives (issue 23): MAINTAINERS matching and its tie rule on
// an excerpt of Linux 6.1's MAINTAINERS, function -> file on rows cut from
// the table scripts/sources/build-table made from Debian's linux-source-6.1
// (exact, ambiguous, unmapped), renames across kernels, and diff/check/store
// with a map imported (tests/fixtures/sources/README.md).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cell_figures.h"
#include "chart_files.h"
#include "long_export.h"
#include "regression_check.h"
#include "set_diff.h"
#include "source_fixture.h"
#include "source_map.h"
#include "store_fixture.h"
#include "subsystem_view.h"

using namespace hap;

namespace {

const std::string& kDir = test::kSourcesDir;

using test::maintainers_61;
using test::rows_of;
using test::slurp;

SourceMap map_61() { return SourceMap(rows_of("src-6.1-excerpt.csv"), maintainers_61()); }
// 6.12's rows with 6.1's MAINTAINERS: the tests of renames ask files, not sections.
SourceMap map_612() { return SourceMap(rows_of("src-6.12-excerpt.csv"), maintainers_61()); }

void add_fn_run(Store& s, const std::string& kernel, int rep, const std::vector<std::string>& fns) {
    RunStart r = sample_run("runc", rep);
    r.uuid += "-" + kernel;
    r.mode = "function_graph";
    r.kernel = {kernel, "#1 SMP Debian", "x86_64", 50000};
    auto id = s.begin_run(r);
    REQUIRE(id.ok());
    RunOutcome o;
    for (const auto& f : fns) o.hits.push_back({"function", "workload", f, f, 1});
    o.tasks.push_back({100, 0, "workload", "redis-server", true});
    REQUIRE(s.complete_run(*id, o).ok());
}

void import_map(Store& s, const std::string& kernel, const std::string& csv) {
    StoredSourceMap m;
    m.rows = rows_of(csv, &m.description);
    m.maintainers = slurp(kDir + "MAINTAINERS-6.1-excerpt");
    REQUIRE(s.import_source_map(kernel, m).ok());
}

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
    CHECK(rows.size() == 89);
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
    CHECK((*back)->rows.size() == 89);
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

TEST_CASE("renames: a known suffix, or the same place next to a neighbour that kept its name", "[sources][renamed]") {
    const SourceMap a = map_61(), b = map_612();
    // 6.1 -> 6.12, as results/kernels measured them.
    auto p = pair_renames({"__alloc_pages", "pick_file", "close_fd", "tcp_sendmsg", "bpf_lsm_file_open"},
                          {"__alloc_pages_noprof", "file_close_fd_locked", "file_close_fd", "bpf_lsm_file_open_x"}, &a, &b);
    REQUIRE(p.renamed.size() == 2);
    CHECK(p.renamed[0].before == "__alloc_pages");
    CHECK(p.renamed[0].after == "__alloc_pages_noprof");
    CHECK(p.renamed[0].file == "mm/page_alloc.c");
    CHECK(p.renamed[0].rule == "suffix _noprof");
    // fs/file.c: pick_file follows fd_install in 6.1, file_close_fd_locked in 6.12.
    CHECK(p.renamed[1].before == "pick_file");
    CHECK(p.renamed[1].after == "file_close_fd_locked");
    CHECK(p.renamed[1].rule == "after fd_install");
    // close_fd is still defined in 6.12: gone from the runs, not renamed, so
    // file_close_fd is new surface; so are names no map places.
    CHECK(p.removed == std::vector<std::string>{"close_fd", "tcp_sendmsg", "bpf_lsm_file_open"});
    CHECK(p.added == std::vector<std::string>{"file_close_fd", "bpf_lsm_file_open_x"});
    // Without both maps nothing is paired.
    CHECK(pair_renames({"__alloc_pages"}, {"__alloc_pages_noprof"}, &a, nullptr).renamed.empty());
    CHECK(pair_renames({"__alloc_pages"}, {"__alloc_pages_noprof"}, nullptr, nullptr).added.size() == 1);
}

TEST_CASE("renames: two new names in the old one's place are a choice, not a pair", "[sources][renamed]") {
    Maintainers none;
    const SourceMap a({{"a", "f.c", 1, "c", ""}, {"old", "f.c", 2, "c", ""}, {"z", "f.c", 3, "c", ""}}, none);
    const SourceMap b({{"a", "f.c", 1, "c", ""}, {"new1", "f.c", 2, "c", ""}, {"new2", "f.c", 3, "c", ""}, {"z", "f.c", 4, "c", ""}}, none);
    auto p = pair_renames({"old"}, {"new1", "new2"}, &a, &b);  // new1 after a, new2 before z
    CHECK(p.renamed.empty());
    CHECK(p.added.size() == 2);
    const SourceMap c({{"a", "f.c", 1, "c", ""}, {"new1", "f.c", 2, "c", ""}, {"z", "f.c", 4, "c", ""}}, none);
    auto q = pair_renames({"old"}, {"new1"}, &a, &c);
    REQUIRE(q.renamed.size() == 1);
    CHECK(q.renamed[0].rule == "after a");
    // Two gone names that both sit next to one new name: no pair either.
    const SourceMap d({{"a", "f.c", 1, "c", ""}, {"old1", "f.c", 2, "c", ""}, {"z", "f.c", 3, "c", ""}, {"old2", "f.c", 4, "c", ""}}, none);
    const SourceMap e({{"a", "f.c", 1, "c", ""}, {"new", "f.c", 2, "c", ""}, {"z", "f.c", 3, "c", ""}}, none);
    auto r = pair_renames({"old1", "old2"}, {"new"}, &d, &e);  // old1 after a, old2 after z: new is after a only
    REQUIRE(r.renamed.size() == 1);
    CHECK(r.renamed[0].before == "old1");
    const SourceMap g({{"a", "f.c", 1, "c", ""}, {"old1", "f.c", 2, "c", ""}, {"old2", "f.c", 3, "c", ""}, {"z", "f.c", 4, "c", ""}}, none);
    const SourceMap h({{"a", "f.c", 1, "c", ""}, {"new", "f.c", 2, "c", ""}, {"z", "f.c", 3, "c", ""}}, none);
    CHECK(pair_renames({"old1", "old2"}, {"new"}, &g, &h).renamed.empty());  // new: after a (old1) and before z (old2)
    CHECK(a.position("old") == std::optional<size_t>(1));
    CHECK(a.neighbours("old") == std::pair<std::string, std::string>{"a", "z"});
}

TEST_CASE("diff and check across kernels: renames apart, new surface by section, --fail-on new-surface", "[sources][renamed][diff]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    const std::string k61 = "6.1.0-57-amd64", k612 = "6.12.95+deb12-amd64";
    for (int rep : {1, 2}) {
        add_fn_run(*s, k61, rep, {"copy_process", "tcp_sendmsg", "__alloc_pages", "pick_file", "fd_install"});
        add_fn_run(*s, k612, rep, {"copy_process", "tcp_sendmsg", "__alloc_pages_noprof", "file_close_fd_locked", "fd_install",
                                   "file_close_fd", "bpf_lsm_file_open"});
    }
    auto before = *load_run_sets(*s, RunSelection{"", "", "", k61, ""});
    auto after = *load_run_sets(*s, RunSelection{"", "", "", k612, ""});
    // Without maps: every new name is unmapped, nothing renamed.
    auto plain = diff_run_sets(before, after);
    REQUIRE(plain.ok());
    CHECK(plain->front().added() == 4);
    CHECK(plain->front().renamed.empty());
    import_map(*s, k61, "src-6.1-excerpt.csv");
    import_map(*s, k612, "src-6.12-excerpt.csv");
    auto maps = *load_source_maps(*s, {k61, k612});
    auto d = diff_run_sets(before, after, maps);
    REQUIRE(d.ok());
    const FigureDiff& fn = d->front();
    CHECK(fn.renamed.size() == 2);
    CHECK(fn.added() == 2);
    CHECK(fn.removed() == 0);
    CHECK(fn.by_subsystem.at("FILESYSTEMS (VFS and infrastructure)").added == std::vector<std::string>{"file_close_fd"});
    CHECK(fn.by_subsystem.at("unmapped").added == std::vector<std::string>{"bpf_lsm_file_open"});
    CHECK(fn.by_directory.at("fs").added == std::vector<std::string>{"file_close_fd"});

    auto base = *load_cells(*s, RunSelection{"", "", "", k61, ""});
    auto cand = *load_cells(*s, RunSelection{"", "", "", k612, ""});
    // 2 new surface names of a baseline union of 5: 40%.
    auto r = check_regression(base, cand, 50, "", FailOn::NewSurface, &maps);
    REQUIRE(r.ok());
    const CellVerdict& v = r->cells.front();
    CHECK(v.added.size() == 4);
    CHECK(v.renamed.size() == 2);
    CHECK(v.new_surface == std::vector<std::string>{"bpf_lsm_file_open", "file_close_fd"});
    CHECK(*v.new_surface_pct == Approx(40.0));
    CHECK(r->passed());
    CHECK_FALSE(check_regression(base, cand, 30, "", FailOn::NewSurface, &maps)->passed());
    // Any new surface fails at 0; a kernel without a map cannot be judged.
    CHECK_FALSE(check_regression(base, cand, 0, "", FailOn::NewSurface, &maps)->passed());
    SourceMaps only_old;
    only_old.emplace(k61, maps.at(k61));
    CHECK(check_regression(base, cand, 0, "", FailOn::NewSurface, &only_old).error().message.find("needs the source map of kernel " + k612) !=
          std::string::npos);
    CHECK(parse_fail_on("new-surface") == FailOn::NewSurface);
    CHECK(std::string(fail_on_name(FailOn::NewSurface)) == "new-surface");

    // The long export says where each function lives.
    std::ostringstream out;
    REQUIRE(write_long_csv(out, *s, *s->runs()).ok());
    CHECK(out.str().find(",function,copy_process,copy_process,1,kernel/fork.c,THE REST,kernel\n") != std::string::npos);
    CHECK(out.str().find(",function,bpf_lsm_file_open,bpf_lsm_file_open,1,,unmapped,unmapped\n") != std::string::npos);
}

TEST_CASE("the subsystem chart stacks each cell's function union by section, the rest summed, so a bar is the union", "[sources][chart]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    const std::string k61 = "6.1.0-57-amd64";
    add_fn_run(*s, k61, 1, {"copy_process", "tcp_sendmsg", "schedule", "memcpy", "bpf_lsm_file_open", "ksys_read"});
    auto cells = *load_cells(*s, {});
    const std::string dat = subsystem_chart_data(cells, map_61(), 2);
    // The two largest sections by name (ties keep the map's order), then the rest.
    CHECK(dat.find("\ncell \"FILESYSTEMS (VFS and infrastructure)\" \"NETWORKING [TCP]\" \"other sections\" ambiguous unmapped\n") !=
          std::string::npos);
    CHECK(dat.find("\n\"runc redis\" 1 1 2 1 1\n") != std::string::npos);  // 6 = the union
    SourceMaps none;
    CHECK(write_subsystem_chart(cells, ChartSpec{}, none).error().message.find("has no source map") != std::string::npos);
}
