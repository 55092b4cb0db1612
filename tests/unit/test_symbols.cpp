#include <catch2/catch.hpp>

#include "symbol_names.h"

using namespace hap;

TEST_CASE("syscall numbers are named from this architecture's table", "[symbols]") {
    CHECK(syscall_name(0) == "read");
    CHECK(syscall_name(59) == "execve");
    CHECK(syscall_name(232) == "epoll_wait");
    CHECK(syscall_name(99999) == "syscall_99999");
}

TEST_CASE("function names are normalised across kernels", "[symbols]") {
    CHECK(normalize_function("__x64_sys_read") == "sys_read");
    CHECK(normalize_function("__do_sys_read") == "sys_read");
    CHECK(normalize_function("SyS_read") == "sys_read");
    CHECK(normalize_function("sys_read") == "sys_read");
    CHECK(normalize_function("tcp_sendmsg_locked.isra.0") == "tcp_sendmsg_locked");
    CHECK(normalize_function("copy_page_range.constprop.12") == "copy_page_range");
    CHECK(normalize_function("do_exit.part.0.cold") == "do_exit");
    CHECK(normalize_function("vfs_read") == "vfs_read");
}

TEST_CASE("hypercalls and exit reasons get readable names", "[symbols]") {
    CHECK(hypercall_name(5) == "kick_cpu");
    CHECK(hypercall_name(77) == "hc_77");
    CHECK(exit_reason_name(0x081, 2) == "svm:vmmcall");
    CHECK(exit_reason_name(30, 1) == "vmx:IO_INSTRUCTION");
    CHECK(exit_reason_name(3, 1) == "vmx:INIT_SIGNAL");
    CHECK(exit_reason_name(35, 1) == "vmx:35");  // not a VMX exit reason
    // Met in the lab's nested q35 guests: VINTR and INVLPG, and exceptions.
    CHECK(exit_reason_name(0x064, 2) == "svm:vintr");
    CHECK(exit_reason_name(0x079, 2) == "svm:invlpg");
    CHECK(exit_reason_name(0x04e, 2) == "svm:pf");
    CHECK(exit_reason_name(0x046, 2) == "svm:excp_ud");
    CHECK(exit_reason_name(0x003, 2) == "svm:read_cr3");
    CHECK(exit_reason_name(0x500, 2) == "svm:1280");
}
