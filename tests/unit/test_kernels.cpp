// Kernel differences pinned by real captures: the same command
// (`hapctl trace --mode function_graph --record ... -- /bin/cat /proc/version`)
// recorded in the lab on Debian's 5.10 (bullseye), 6.1 (bookworm) and 6.12
// (bookworm-backports, built with CONFIG_CALL_PADDING: every function has a
// `__pfx_` symbol 16 bytes before it) and kept as tests/fixtures/fg-cat-*.tar.xz
// (tests/fixtures/README.md). Each is decoded whole, named from its own
// kallsyms, and normalised by the one rule of symbol_names.h.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cell_figures.h"
#include "kallsyms.h"
#include "replay_fixture.h"
#include "replay_source.h"
#include "run_aggregate.h"
#include "symbol_names.h"

using namespace hap;

namespace {

std::string read_fixture(const std::string& name) {
    std::ifstream f(std::string(HAP_FIXTURES) + "/" + name);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// The hits a run stores, as hapctl's capture makes them (raw + normalised).
std::vector<StoredHit> stored(const std::vector<Hit>& hits) {
    std::vector<StoredHit> out;
    for (const auto& h : hits) {
        const bool fn = h.kind == SymbolKind::Function;
        out.push_back(StoredHit{symbol_kind_name(h.kind), role_name(h.role), h.name, fn ? normalize_function(h.name) : h.name, h.count});
    }
    return out;
}

struct Names {
    uint64_t events = 0, recorded = 0;
    std::set<std::string> raw;  // the workload's function names as the kernel printed them
    std::vector<Hit> hits;      // every hit, named
    std::unique_ptr<ReplaySource> src;
};

Names replay(const std::string& kernel) {
    auto r = test::replay_capture(std::string(HAP_UNPACKED_FIXTURES) + "/fg-cat-" + kernel);
    Names n;
    n.events = r->agg.totals().events;
    n.recorded = r->src->meta()["events"].get<uint64_t>();
    n.hits = r->agg.hits([&](uint64_t a) { return r->src->function_name(a); });
    for (const auto& h : n.hits)
        if (h.kind == SymbolKind::Function && h.role == Role::Workload) n.raw.insert(h.name);
    n.src = std::move(r->src);
    return n;
}

}  // namespace

TEST_CASE("5.10, 6.1 and 6.12 captures decode whole and name what cat reaches", "[kernels]") {
    for (const char* k : {"5.10", "6.1", "6.12"}) {
        INFO("kernel " << k);
        Names n = replay(k);
        CHECK(n.events == n.recorded);
        CHECK(n.src->truncated_bytes() == 0);
        CHECK(n.src->decoder_skipped() == 0);
        CHECK(n.raw.size() > 500);
        // Exec, the read of /proc/version (its show function), the write, the exit:
        // the same source functions on every one of the three kernels.
        for (const char* f : {"bprm_execve", "version_proc_show", "seq_read_iter", "ksys_write", "do_group_exit"})
            CHECK(n.raw.count(f) == 1);
        for (const auto& name : n.raw) {
            CHECK(name.rfind("0x", 0) != 0);      // none left unnamed
            CHECK(name.rfind("__pfx_", 0) != 0);  // 6.12's padding symbols are never a function
        }
    }
}

TEST_CASE("6.12's __pfx_ padding symbols are never a name, and aliases at one address resolve to the first listed", "[kernels]") {
    // Lines cut from the 6.12 capture's full /proc/kallsyms around ksys_write
    // (tests/fixtures/README.md): each function preceded by its __pfx_.
    auto ks = Kallsyms::open(std::string(HAP_FIXTURES) + "/kallsyms-6.12-pfx.txt");
    REQUIRE(ks.ok());
    auto text = read_fixture("kallsyms-6.12-pfx.txt");
    std::map<std::string, uint64_t> addr;
    std::istringstream in(text);
    for (std::string a, t, name; in >> a >> t >> name;) addr.emplace(name, std::stoull(a, nullptr, 16));
    REQUIRE(addr.count("ksys_write") == 1);
    REQUIRE(addr.count("__pfx_ksys_write") == 1);
    CHECK(addr["ksys_write"] - addr["__pfx_ksys_write"] == 16);
    CHECK(ks->lookup(addr["ksys_write"]) == "ksys_write");
    CHECK(ks->lookup(addr["ksys_write"] + 5) == "ksys_write");
    // An address in the padding names the function before it, never __pfx_.
    const std::string in_padding = ks->lookup(addr["__pfx_ksys_write"] + 3);
    CHECK(in_padding.rfind("__pfx_", 0) == std::string::npos);
    CHECK_FALSE(in_padding.empty());
    for (const auto& [name, a] : addr) CHECK(ks->lookup(a).rfind("__pfx_", 0) != 0);
    // Aliases: of two names at one address the first listed is the name.
    auto aliased = Kallsyms::parse("ffffffff81000000 T first_name\nffffffff81000000 T second_name\nffffffff81000100 T next\n");
    CHECK(aliased.lookup(0xffffffff81000000) == "first_name");
    CHECK(aliased.lookup(0xffffffff81000010) == "first_name");
}

TEST_CASE("GCC's clone suffixes normalise by the one rule on every kernel", "[kernels]") {
    for (const char* k : {"5.10", "6.1", "6.12"}) {
        INFO("kernel " << k);
        Names n = replay(k);
        std::set<std::string> suffixed, normalized;
        for (const auto& name : n.raw) {
            if (name.find('.') != std::string::npos) suffixed.insert(name);
            normalized.insert(normalize_function(name));
        }
        CHECK(suffixed.size() >= 3);
        for (const auto& name : suffixed) {
            const std::string norm = normalize_function(name);
            CHECK(norm.find('.') == std::string::npos);
            CHECK(name.rfind(norm, 0) == 0);  // the source function's name is what precedes the suffix
        }
        // Normalising merges clones: never more names than raw.
        CHECK(normalized.size() <= n.raw.size());
    }
}

TEST_CASE("functions at two addresses that normalise to one name: two in hap_fn_raw, one in hap_fn", "[kernels]") {
    // Each capture reached a function and its GCC clone, two functions at two
    // addresses: getname_flags and getname_flags.part.0 on 6.1 and 6.12,
    // iput and iput.part.0 on 5.10.
    const std::map<std::string, std::string> pair = {{"5.10", "iput"}, {"6.1", "getname_flags"}, {"6.12", "getname_flags"}};
    for (const auto& [k, name] : pair) {
        INFO("kernel " << k);
        Names n = replay(k);
        REQUIRE(n.raw.count(name) == 1);
        REQUIRE(n.raw.count(name + ".part.0") == 1);
        auto sets = figure_sets("function_graph", stored(n.hits), {"workload"});
        REQUIRE(sets.count("hap_fn_raw") == 1);
        CHECK(sets["hap_fn_raw"].count(name) == 1);
        CHECK(sets["hap_fn_raw"].count(name + ".part.0") == 1);
        CHECK(sets["hap_fn"].count(name) == 1);
        CHECK(sets["hap_fn"].count(name + ".part.0") == 0);
        // Raw counts every address once; normalising only ever merges.
        std::set<std::string> normalized;
        for (const auto& r : sets["hap_fn_raw"]) normalized.insert(normalize_function(r));
        CHECK(normalized == sets["hap_fn"]);
        CHECK(sets["hap_fn_raw"].size() > sets["hap_fn"].size());
    }
}

TEST_CASE("one name at two addresses of a real kernel: two raw names, two in hap_fn_raw, one in hap_fn", "[kernels]") {
    // Lines of the development host's /proc/kallsyms (6.18) around both
    // static copies of __nr_to_section (tests/fixtures/README.md).
    auto ks = Kallsyms::open(std::string(HAP_FIXTURES) + "/kallsyms-6.18-same-name.txt");
    REQUIRE(ks.ok());
    std::vector<uint64_t> at;
    std::istringstream in(read_fixture("kallsyms-6.18-same-name.txt"));
    for (std::string a, t, name; in >> a >> t >> name;)
        if (name == "__nr_to_section") at.push_back(std::stoull(a, nullptr, 16));
    REQUIRE(at.size() == 2);
    CHECK(ks->lookup(at[0]) == "__nr_to_section@vmlinux:1");
    CHECK(ks->lookup(at[1] + 4) == "__nr_to_section@vmlinux:2");  // an fentry address inside it (IBT)
    CHECK(ks->lookup(at[0] - 8).rfind("__nr_to_section", 0) != 0);  // the padding before it is not it
    // Names no other symbol shares stay as the kernel printed them.
    CHECK(ks->lookup(at[1] + 0x70) == "subsection_mask_set");

    // Hit once each by one workload thread, as the aggregate names them.
    TaskTable tasks;
    tasks.seed(7, Role::Workload, "w");
    RunAggregate agg(tasks);
    for (uint64_t a : at) agg.on_event(TraceEvent{EventKind::FuncGraphEntry, 0, 7, 0, 0, int64_t(a), 1, {}, {}});
    auto hits = agg.hits([&](uint64_t a) { return ks->lookup(a); });
    REQUIRE(hits.size() == 2);
    auto sets = figure_sets("function_graph", stored(hits), {"workload"});
    CHECK(sets["hap_fn_raw"] == std::set<std::string>{"__nr_to_section@vmlinux:1", "__nr_to_section@vmlinux:2"});
    CHECK(sets["hap_fn"] == std::set<std::string>{"__nr_to_section"});
}

TEST_CASE("a capture that reached both functions named load_elf_binary counts two raw, one normalised", "[kernels]") {
    // fg-ia32-cat-6.1 (tests/fixtures/README.md): sh runs a 32-bit program,
    // then cat. Debian's 6.1 builds fs/binfmt_elf.c twice (compat_binfmt_elf.c
    // includes it for 32-bit programs): two static load_elf_binary, elf_load,
    // load_elf_phdrs and padzero at two addresses, and the run reached both.
    auto r = test::replay_capture(std::string(HAP_UNPACKED_FIXTURES) + "/fg-ia32-cat-6.1");
    CHECK(r->agg.totals().events == r->src->meta()["events"].get<uint64_t>());
    const auto hits = r->agg.hits([&](uint64_t a) { return r->src->function_name(a); });
    auto sets = figure_sets("function_graph", stored(hits), {"workload"});
    for (const char* name : {"load_elf_binary", "elf_load", "load_elf_phdrs", "padzero"}) {
        INFO(name);
        const std::string n = name;
        CHECK(sets["hap_fn_raw"].count(n + "@vmlinux:1") == 1);
        CHECK(sets["hap_fn_raw"].count(n + "@vmlinux:2") == 1);
        CHECK(sets["hap_fn_raw"].count(n) == 0);  // a shared name never stands alone
        CHECK(sets["hap_fn"].count(n) == 1);
    }
    // Every raw name normalises into hap_fn, and the raw count is the larger.
    std::set<std::string> normalized;
    for (const auto& raw : sets["hap_fn_raw"]) normalized.insert(normalize_function(raw));
    CHECK(normalized == sets["hap_fn"]);
    CHECK(sets["hap_fn_raw"].size() >= sets["hap_fn"].size() + 4);
}
