#include <catch2/catch.hpp>

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
