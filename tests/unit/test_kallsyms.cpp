#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "kallsyms.h"

using namespace hap;

TEST_CASE("addresses resolve to the enclosing text symbol of the recorded kernel", "[kallsyms]") {
    auto k = Kallsyms::parse(
        "ffffffff81000000 T _stext\n"
        "ffffffff81001000 t do_one_initcall\n"
        "ffffffff81002000 D some_data\n"
        "ffffffff81003000 T __x64_sys_read\n"
        "ffffffffc0a01000 t svm_vcpu_run\t[kvm_amd]\n"
        "garbage line\n");
    CHECK(k.size() == 4);
    CHECK(k.lookup(0xffffffff81003010) == "__x64_sys_read");
    CHECK(k.lookup(0xffffffff81001fff) == "do_one_initcall");
    CHECK(k.lookup(0xffffffff81002010) == "do_one_initcall");  // data symbols are not functions
    CHECK(k.lookup(0xffffffffc0a01234) == "svm_vcpu_run");
    CHECK(k.lookup(0x1000) == "");
}

TEST_CASE("kallsyms read without privilege (all zero) resolves nothing", "[kallsyms]") {
    auto k = Kallsyms::parse("0000000000000000 T _stext\n0000000000000000 T vfs_read\n");
    CHECK(k.size() == 0);
    CHECK(k.lookup(0xffffffff81000000) == "");
}

TEST_CASE("module symbols listed out of order after the core kernel are merged in", "[kallsyms]") {
    auto k = Kallsyms::parse(
        "ffffffff81000000 T _stext\n"
        "ffffffff81001000 T first_name\n"
        "ffffffff81001000 T alias_at_same_address\n"
        "ffffffff81002000 T vfs_read\n"
        "ffffffffc0a03000 t kvm_c\t[kvm]\n"
        "ffffffffc0a01000 t kvm_a\t[kvm]\n"
        "ffffffff81001800 t late_core_symbol\n"
        "ffffffffc0a02000 t kvm_b\t[kvm]\n");
    CHECK(k.size() == 8);
    CHECK(k.lookup(0xffffffff81001000) == "first_name");  // the first listed of two at one address
    CHECK(k.lookup(0xffffffff81001900) == "late_core_symbol");
    CHECK(k.lookup(0xffffffffc0a01004) == "kvm_a");
    CHECK(k.lookup(0xffffffffc0a02fff) == "kvm_b");
    CHECK(k.lookup(0xffffffffc0a03000) == "kvm_c");
    CHECK(k.lookup(0xffffffff81002001) == "vfs_read");
}

TEST_CASE("a name at two addresses is two functions: NAME@OBJECT:N by address, per module", "[kallsyms]") {
    auto k = Kallsyms::parse(
        "ffffffff81001000 t dup\n"
        "ffffffff81001000 t dup_alias\n"
        "ffffffff81002000 T unique\n"
        "ffffffff81003000 t dup\n"
        "ffffffff81004000 t other\n"
        "ffffffffc0a02000 t dup\t[kvm]\n"
        "ffffffffc0a01000 t kvm_only\t[kvm]\n"
        "ffffffffc0b01000 t dup\t[vhost]\n");
    CHECK(k.lookup(0xffffffff81001010) == "dup@vmlinux:1");
    CHECK(k.lookup(0xffffffff81003004) == "dup@vmlinux:2");
    CHECK(k.lookup(0xffffffffc0a02000) == "dup@kvm:1");
    CHECK(k.lookup(0xffffffffc0b01000) == "dup@vhost:1");
    CHECK(k.lookup(0xffffffff81002000) == "unique");
    CHECK(k.lookup(0xffffffffc0a01000) == "kvm_only");
    // A copy made before the first lookup names the same way.
    Kallsyms copy = k;
    CHECK(copy.lookup(0xffffffff81003000) == "dup@vmlinux:2");
    // One name listed twice at one address is one function: no suffix.
    auto twice = Kallsyms::parse("ffffffff81001000 t f\nffffffff81001000 t f\nffffffff81002000 t g\n");
    CHECK(twice.lookup(0xffffffff81001000) == "f");
}

TEST_CASE("thousands of symbols name as a plain reference does: collisions and wrap-around of the name table", "[kallsyms]") {
    // same_names() counts names in an open-addressed table; a handful of
    // symbols never probes past a slot. Here: 6000 symbols, a fifth of the
    // names at several addresses (core and modules), aliases, a name listed
    // twice at one address, modules listed out of order.
    struct Line {
        uint64_t addr;
        std::string name, mod;
    };
    std::vector<Line> lines;
    uint64_t core = 0xffffffff81000000, mods = 0xffffffffc0000000;
    for (int i = 0; i < 4000; ++i) {
        core += 0x40 + (i % 7) * 0x10;
        const std::string name = i % 5 == 0 ? "shared_" + std::to_string(i % 97) : "fn_" + std::to_string(i);
        lines.push_back({core, name, ""});
        if (i % 11 == 0) lines.push_back({core, "alias_" + std::to_string(i), ""});  // a second name, same address
        if (i % 13 == 0) lines.push_back({core, name, ""});                          // the same name again
    }
    for (int i = 0; i < 1500; ++i) {
        mods += 0x80;
        const std::string mod = "mod" + std::to_string(i % 4);
        lines.push_back({mods, i % 3 == 0 ? "shared_" + std::to_string(i % 97) : "m_" + std::to_string(i), mod});
    }
    // Modules come after the core kernel, out of address order.
    std::reverse(lines.end() - 1500, lines.end());
    std::string text;
    char buf[32];
    for (const auto& l : lines) {
        std::snprintf(buf, sizeof buf, "%016llx t ", static_cast<unsigned long long>(l.addr));
        text += buf + l.name + (l.mod.empty() ? "" : "\t[" + l.mod + "]") + "\n";
    }
    auto k = Kallsyms::parse(text);

    // The reference: at each address the first listed name; a name at more
    // than one address gets @OBJECT:N, N its object's addresses of the name
    // counted in address order.
    std::map<uint64_t, const Line*> first_at;
    for (const auto& l : lines) first_at.emplace(l.addr, &l);  // emplace keeps the first listed
    std::map<std::string, std::set<uint64_t>> addrs_of;
    std::map<std::pair<std::string, std::string>, std::set<uint64_t>> addrs_in_object;
    for (const auto& l : lines) {
        addrs_of[l.name].insert(l.addr);
        addrs_in_object[{l.name, l.mod}].insert(l.addr);
    }
    size_t checked = 0, suffixed = 0;
    for (const auto& [addr, l] : first_at) {
        std::string want = l->name;
        if (addrs_of[l->name].size() > 1) {
            const auto& in = addrs_in_object[{l->name, l->mod}];
            want += "@" + (l->mod.empty() ? std::string("vmlinux") : l->mod) + ":" +
                    std::to_string(std::distance(in.begin(), in.find(addr)) + 1);
            ++suffixed;
        }
        REQUIRE(k.lookup(addr + 4) == want);
        ++checked;
    }
    CHECK(checked == 5500);
    CHECK(suffixed > 1000);
}
