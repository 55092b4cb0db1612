// Where a profile lives, exactly (issue 23): rows cut from the table
// scripts/sources/build-exact-table made from Debian's
// linux-image-6.1.0-57-amd64-dbg (the lab's kernel build), beside the
// by-name rows of linux-source-6.1 and an excerpt of its MAINTAINERS
// (tests/fixtures/sources/README.md): exact rows win over by-name ones,
// same-named functions told apart by the raw names runs reached, each
// method alone, the store's rows, and renames read with exact maps.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "long_export.h"
#include "source_fixture.h"
#include "source_map.h"
#include "store_fixture.h"

using namespace hap;

namespace {

const std::string& kDir = test::kSourcesDir;
using LocStatus = SourceLocation::Status;

using test::maintainers_61;
using test::rows_of;
using test::slurp;

std::vector<SourceRow> operator+(std::vector<SourceRow> a, const std::vector<SourceRow>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

// Both tables of 6.1, as `hapctl sources import exact.csv src.csv` stores them.
SourceMap map_61() { return SourceMap(rows_of("exact-6.1-excerpt.csv") + rows_of("src-6.1-excerpt.csv"), maintainers_61()); }

}  // namespace

TEST_CASE("exact table: the symbol column, NAME@OBJECT:N on every exact row", "[sources][exact]") {
    std::string description;
    auto rows = rows_of("exact-6.1-excerpt.csv", &description);
    CHECK(description.find("exact, of Debian linux-image-6.1.0-57-amd64-dbg 6.1.192-3") != std::string::npos);
    CHECK(rows.size() == 36);
    CHECK(std::all_of(rows.begin(), rows.end(), [](const SourceRow& r) { return r.how == "exact"; }));
    auto parse = [](const std::string& text) {
        std::istringstream in(text);
        return parse_source_csv(in, "x.csv");
    };
    CHECK(parse("function,file,line,how,symbol\nfoo,a.c,1,exact,foo@vmlinux:1\nbar,b.c,2,c,\n").ok());
    CHECK(parse("function,file,line,how,symbol\nfoo,a.c,1,exact,foo\n").error().message ==
          "x.csv:2: an exact row needs its symbol as NAME@OBJECT:N, found 'foo'");
    CHECK_FALSE(parse("function,file,line,how,symbol\nfoo,a.c,1,exact,foo@vmlinux:x\n").ok());
    CHECK_FALSE(parse("function,file,line,how,symbol\nfoo,a.c,1,exact,@vmlinux:1\n").ok());
    CHECK_FALSE(parse("function,file,line,how,symbol\nfoo,a.c,1,exact,\n").ok());
    CHECK(parse("function,file,line,how,symbol\nfoo,a.c,1,c,foo@vmlinux:1\n").error().message ==
          "x.csv:2: only exact rows name a symbol ('foo@vmlinux:1', how c)");
    CHECK(parse("function,file,line,how\nfoo,a.c,1,exact,foo@vmlinux:1\n").error().message == "x.csv:2: expected 4 fields, found 5");
}

TEST_CASE("exact rows win: a name ambiguous by name has the file the build compiled", "[sources][exact]") {
    const SourceMap map = map_61();
    CHECK(map.has_exact());
    CHECK(map.has_by_name());
    // kmem_cache_alloc: mm/slab.c, slob.c and slub.c by name; Debian builds SLUB.
    auto kmem = map.locate("function", "kmem_cache_alloc");
    CHECK(kmem.status == LocStatus::Mapped);
    CHECK(kmem.method == LocateBy::Exact);
    CHECK(kmem.file() == "mm/slub.c");
    CHECK(kmem.section == "SLAB ALLOCATOR");
    auto by_name = map.locate("function", "kmem_cache_alloc", LocateBy::Name);
    CHECK(by_name.status == LocStatus::Ambiguous);
    CHECK(by_name.method == LocateBy::Name);
    CHECK(by_name.file() == "mm/slab.c;mm/slob.c;mm/slub.c");
    // memcpy: four files by name (lib/string.c, arch/x86's 32-bit one ...), the
    // 64-bit assembly exactly.
    CHECK(map.locate("function", "memcpy", LocateBy::Name).files.size() == 4);
    CHECK(map.locate("function", "memcpy").file() == "arch/x86/lib/memcpy_64.S");
    // copy_process: kernel/fork.c both ways; no section names it or kernel/,
    // so the tie rule leaves it to THE REST.
    auto cp = map.locate("function", "copy_process");
    CHECK(cp.status == LocStatus::Mapped);
    CHECK(cp.method == LocateBy::Exact);
    CHECK(cp.file() == "kernel/fork.c");
    CHECK(cp.section == kRestSection);
    CHECK(map.locate("function", "copy_process", LocateBy::Name).file() == "kernel/fork.c");
    // Syscalls, hypercalls and exits by their functions' symbols; a module's
    // function (kvm_intel's vmx_handle_exit, and its .cold part) as vmlinux's.
    auto read = map.locate("syscall", "read");
    CHECK(read.method == LocateBy::Exact);
    CHECK(read.file() == "fs/read_write.c");
    CHECK(map.locate("syscall", "clone").file() == "kernel/fork.c");
    // recvmsg: __x64_sys_recvmsg in net/socket.c, __ia32_compat_sys_recvmsg
    // (also sys_recvmsg to hap) in net/compat.c; the syscall is the x86-64 one.
    CHECK(map.locate("syscall", "recvmsg").file() == "net/socket.c");
    CHECK(map.locate("function", "sys_recvmsg").file() == "net/compat.c;net/socket.c");
    CHECK(map.locate("hypercall", "hypercall:KVM_HC_KICK_CPU").file() == "arch/x86/kvm/x86.c");
    auto vmx = map.locate("hypercall", "exit_reason:vmx:EPT_VIOLATION");
    CHECK(vmx.method == LocateBy::Exact);
    CHECK(vmx.file() == "arch/x86/kvm/vmx/vmx.c");
    CHECK(map.locate("function", "handle_rx").file() == "drivers/vhost/net.c");
}

TEST_CASE("exact: same-named functions are told apart by the raw name a run reached", "[sources][exact]") {
    const SourceMap map = map_61();
    // Eight functions named init_once: seven in vmlinux, one in ext4. The
    // name alone is ambiguous, with every file listed.
    auto all = map.locate("function", "init_once");
    CHECK(all.status == LocStatus::Ambiguous);
    CHECK(all.method == LocateBy::Exact);
    CHECK(all.files.size() == 8);
    CHECK(all.section == kAmbiguous);
    // Kallsyms::lookup's NAME@OBJECT:N is one symbol.
    auto sock = map.locate_raw("init_once", {"init_once@vmlinux:7"});
    CHECK(sock.status == LocStatus::Mapped);
    CHECK(sock.file() == "net/socket.c");
    CHECK(sock.directory == "net");
    CHECK(map.locate_raw("init_once", {"init_once@vmlinux:1"}).file() == "fs/inode.c");
    CHECK(map.locate_raw("init_once", {"init_once@ext4:1"}).file() == "fs/ext4/super.c");
    // Two of them reached: both files.
    CHECK(map.locate_raw("init_once", {"init_once@vmlinux:1", "init_once@vmlinux:2"}).file() == "fs/inode.c;fs/proc/inode.c");
    // A raw name without "@" is every symbol of the name (a store written
    // before hap numbered them): ambiguous still, never guessed.
    CHECK(map.locate_raw("init_once", {"init_once"}).files.size() == 8);
    // An ordinal the table lacks (another build): the name's rows.
    CHECK(map.locate_raw("init_once", {"init_once@vmlinux:99"}).files.size() == 8);
    // A clone is found by its own name: vmx_handle_exit.cold.
    CHECK(map.locate_raw("vmx_handle_exit", {"vmx_handle_exit.cold@kvm_intel:1"}).file() == "arch/x86/kvm/vmx/vmx.c");
    CHECK(map.locate_raw("sys_read", {"__x64_sys_read"}).file() == "fs/read_write.c");
    // proc_single_open: fs/proc/base.c and generic.c, neither in the by-name excerpt.
    CHECK(map.locate_raw("proc_single_open", {"proc_single_open@vmlinux:2"}).file() == "fs/proc/generic.c");
    CHECK(map.locate_raw("proc_single_open", {"proc_single_open@vmlinux:2"}, LocateBy::Name).status == LocStatus::Unmapped);
}

TEST_CASE("exact and by name each alone; what neither has is unmapped", "[sources][exact]") {
    const SourceMap map = map_61();
    // A static inline has no symbol of its own: the by-name row answers.
    auto task = map.locate("function", "get_task_struct");
    CHECK(task.method == LocateBy::Name);
    CHECK(task.file() == "include/linux/sched/task.h");
    CHECK(map.locate("function", "get_task_struct", LocateBy::Exact).status == LocStatus::Unmapped);
    CHECK(map.locate_raw("get_task_struct", {"get_task_struct"}).method == LocateBy::Name);
    // bpf_lsm_file_open is made by LSM_HOOK: exactly, the header the macro
    // expands (the line its code is at), where the by-name excerpt has none.
    auto lsm = map.locate("function", "bpf_lsm_file_open");
    CHECK(lsm.method == LocateBy::Exact);
    CHECK(lsm.file() == "include/linux/lsm_hook_defs.h");
    CHECK(map.locate("function", "bpf_lsm_file_open", LocateBy::Name).status == LocStatus::Unmapped);
    auto none = map.locate("function", "frobnicate");
    CHECK(none.status == LocStatus::Unmapped);
    CHECK(none.method == LocateBy::Best);
    CHECK(none.section == kUnmapped);
    CHECK(map.locate_raw("frobnicate", {"frobnicate@vmlinux:2"}).status == LocStatus::Unmapped);
    // An exact table alone is a map too.
    const SourceMap exact_only(rows_of("exact-6.1-excerpt.csv"), maintainers_61());
    CHECK_FALSE(exact_only.has_by_name());
    CHECK(exact_only.locate("function", "kmem_cache_alloc").file() == "mm/slub.c");
    CHECK(exact_only.locate("function", "get_task_struct").status == LocStatus::Unmapped);
    CHECK(exact_only.defines("copy_process"));
}

TEST_CASE("a map with exact and by-name rows is stored, read back and merged whole", "[sources][exact][store]") {
    TempDb db, other;
    auto s = std::move(Store::open(db.path).value());
    StoredSourceMap m;
    m.origin = "exact-6.1-excerpt.csv + src-6.1-excerpt.csv";
    m.rows = rows_of("exact-6.1-excerpt.csv") + rows_of("src-6.1-excerpt.csv");
    m.maintainers = slurp(kDir + "MAINTAINERS-6.1-excerpt");
    REQUIRE(m.rows.size() == 36 + 89);
    REQUIRE(s->import_source_map("6.1.0-57-amd64", m).ok());
    // copy_process in kernel/fork.c by name and exactly: two rows, not one.
    auto back = s->source_map("6.1.0-57-amd64");
    REQUIRE(back.ok());
    REQUIRE(*back);
    CHECK((*back)->rows.size() == 36 + 89);
    CHECK(std::count_if((*back)->rows.begin(), (*back)->rows.end(), [](const SourceRow& r) { return r.function == "copy_process"; }) == 2);
    const SourceMap map = SourceMap::from_stored(**back);
    CHECK(map.locate_raw("init_once", {"init_once@vmlinux:7"}).file() == "net/socket.c");
    CHECK(map.locate("function", "kmem_cache_alloc").file() == "mm/slub.c");
    auto dst = std::move(Store::open(other.path).value());
    REQUIRE(dst->merge_from(db.path)->source_maps == 1);
    const SourceMap merged = SourceMap::from_stored(**dst->source_map("6.1.0-57-amd64"));
    CHECK(merged.locate_raw("init_once", {"init_once@ext4:1"}).file() == "fs/ext4/super.c");
}

TEST_CASE("the long export places each hit by its raw name", "[sources][exact][export]") {
    TempDb db;
    auto s = std::move(Store::open(db.path).value());
    StoredSourceMap m;
    m.rows = rows_of("exact-6.1-excerpt.csv") + rows_of("src-6.1-excerpt.csv");
    m.maintainers = slurp(kDir + "MAINTAINERS-6.1-excerpt");
    RunStart r = sample_run("runc", 1);
    r.mode = "function_graph";
    r.kernel = {"6.1.0-57-amd64", "#1 SMP Debian", "x86_64", 50000};
    REQUIRE(s->import_source_map("6.1.0-57-amd64", m).ok());
    auto id = s->begin_run(r);
    REQUIRE(id.ok());
    RunOutcome o;
    o.hits.push_back({"function", "workload", "init_once@vmlinux:7", "init_once", 3});
    o.hits.push_back({"function", "workload", "init_once@vmlinux:2", "init_once", 1});
    o.tasks.push_back({100, 0, "workload", "redis-server", true});
    REQUIRE(s->complete_run(*id, o).ok());
    std::ostringstream out;
    REQUIRE(write_long_csv(out, *s, *s->runs()).ok());
    const std::string text = out.str();
    CHECK(text.find(",function,init_once@vmlinux:7,init_once,3,net/socket.c,NETWORKING [GENERAL],net\n") != std::string::npos);
    CHECK(text.find(",function,init_once@vmlinux:2,init_once,1,fs/proc/inode.c,") != std::string::npos);
}

namespace {
// A store as hap wrote it before exact rows: the first five migrations, as
// they are in schemas/migrations/, and one map of one row.
void write_version5_store(const std::string& path) {
    sqlite3* raw = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &raw) == SQLITE_OK);
    for (const char* m : {"0001_initial.sql", "0002_complexity.sql", "0003_untraced_throughput.sql", "0004_workload_file.sql",
                          "0005_source_map.sql"})
        REQUIRE(sqlite3_exec(raw, slurp(std::string(HAP_FIXTURES) + "/../../schemas/migrations/" + m).c_str(), nullptr, nullptr, nullptr) ==
                SQLITE_OK);
    const std::string rows =
        "PRAGMA user_version = 5;"
        "INSERT INTO source_maps VALUES ('6.1.0-57-amd64', 'src.csv', 'linux-source-6.1', '', '2026-12-07T00:00:00Z');"
        "INSERT INTO source_functions VALUES ('6.1.0-57-amd64', 'copy_process', 'kernel/fork.c', 2105, 'c');";
    REQUIRE(sqlite3_exec(raw, rows.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(raw);
}
}  // namespace

TEST_CASE("a reader opens a version 5 store migrated in memory and leaves its file as it was", "[sources][store]") {
    TempDb v5;
    write_version5_store(v5.path);
    const std::string before = slurp(v5.path);
    {
        auto s = Store::open_for_reading(v5.path);
        REQUIRE(s.ok());
        auto map = (*s)->source_map("6.1.0-57-amd64");
        REQUIRE(map.ok());
        REQUIRE(*map);
        REQUIRE((*map)->rows.size() == 1);
        CHECK((*map)->rows[0].file == "kernel/fork.c");
        CHECK((*s)->runs()->empty());
    }
    CHECK(slurp(v5.path) == before);
    // A writer still migrates the file itself.
    REQUIRE(Store::open(v5.path).ok());
    CHECK(slurp(v5.path) != before);
}

TEST_CASE("a version 5 store's map keeps its rows, by name, through the migration and a merge", "[sources][exact][store]") {
    TempDb v5, dst_db;
    write_version5_store(v5.path);
    // Merged from, read-only and unmigrated: its rows arrive by name.
    auto dst = std::move(Store::open(dst_db.path).value());
    REQUIRE(dst->merge_from(v5.path)->source_maps == 1);
    auto merged = *dst->source_map("6.1.0-57-amd64");
    REQUIRE(merged);
    REQUIRE(merged->rows.size() == 1);
    CHECK(merged->rows[0].symbol.empty());
    CHECK(merged->rows[0].how == "c");
    // Opened, migrated: the row is kept, and an exact row of the same
    // function and file goes beside it.
    auto s = std::move(Store::open(v5.path).value());
    auto back = *s->source_map("6.1.0-57-amd64");
    REQUIRE(back);
    REQUIRE(back->rows.size() == 1);
    CHECK(back->rows[0].line == 2105);
    back->rows.push_back({"copy_process", "kernel/fork.c", 2110, "exact", "copy_process@vmlinux:1"});
    REQUIRE(s->import_source_map("6.1.0-57-amd64", *back).ok());
    const SourceMap map = SourceMap::from_stored(**s->source_map("6.1.0-57-amd64"));
    CHECK(map.locate("function", "copy_process").method == LocateBy::Exact);
    CHECK(map.locate("function", "copy_process", LocateBy::Name).file() == "kernel/fork.c");
}
