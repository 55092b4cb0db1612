#include <catch2/catch.hpp>

#include "kvm_guests.h"

using namespace hap;

// /proc/cpuinfo flags lines as seen (MACHINE-NOTES.md): the lab guest on
// QEMU's qemu64,+svm model, where runsc --platform=kvm dies with SIGILL, and
// an XSAVE CPU (the lab with -cpu max).
static const char* kLabQemu64 =
    "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: QEMU Virtual CPU version 2.5+\n"
    "flags\t\t: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht "
    "syscall nx lm rep_good nopl cpuid extd_apicid pni cx16 hypervisor lahf_lm cmp_legacy svm 3dnowprefetch vmmcall\n"
    "bugs\t\t: fxsave_leak sysret_ss_attrs\n";
static const char* kXsaveCpu =
    "processor\t: 0\nflags\t\t: fpu vme de pse tsc msr pae sse sse2 ht syscall nx lm pni ssse3 cx16 sse4_1 sse4_2 "
    "xsave hypervisor svm xsaveopt xgetbv1 npt\n\nprocessor\t: 1\nflags\t\t: fpu xsave\n";

TEST_CASE("gVisor's kvm platform is refused on a CPU without XSAVE, and says why", "[kvm]") {
    KvmVerdict v = gvisor_kvm_cpu_verdict(kLabQemu64);
    CHECK_FALSE(v.usable);
    CHECK(v.why.find("no XSAVE") != std::string::npos);
    CHECK(v.why.find("SIGILL") != std::string::npos);
}

TEST_CASE("an XSAVE CPU passes the CPU check of gVisor's kvm platform", "[kvm]") {
    CHECK(gvisor_kvm_cpu_verdict(kXsaveCpu).usable);
}

TEST_CASE("flags that only contain xsave as a prefix do not count", "[kvm]") {
    CHECK_FALSE(gvisor_kvm_cpu_verdict("flags\t: fpu xsaveopt xsavec\n").usable);
}

TEST_CASE("no flags line: the check says it cannot tell", "[kvm]") {
    KvmVerdict v = gvisor_kvm_cpu_verdict("processor\t: 0\nmodel name\t: unknown\n");
    CHECK_FALSE(v.usable);
    CHECK(v.why.find("cannot be checked") != std::string::npos);
}
