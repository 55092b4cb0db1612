#include "symbol_names.h"

#include <regex>
#include <unordered_map>

namespace hap {
namespace {

const std::unordered_map<int64_t, const char*>& syscall_table() {
    static const std::unordered_map<int64_t, const char*> table = {
#include "syscall_table.inc"
    };
    return table;
}

}  // namespace

const char* symbol_kind_name(SymbolKind k) {
    switch (k) {
        case SymbolKind::Function: return "function";
        case SymbolKind::Syscall: return "syscall";
        case SymbolKind::Hypercall: return "hypercall";
        case SymbolKind::ExitReason: return "exit_reason";
        case SymbolKind::Pio: return "pio";
        case SymbolKind::Mmio: return "mmio";
    }
    return "?";
}

std::string syscall_name(int64_t nr) {
    auto it = syscall_table().find(nr);
    return it != syscall_table().end() ? it->second : "syscall_" + std::to_string(nr);
}

std::string hypercall_name(int64_t nr) {
    // include/uapi/linux/kvm_para.h
    static const char* names[] = {nullptr, "vapic_poll_irq", "mmu_op", "features", "ppc_map_magic_page",
                                  "kick_cpu", "mips_get_clock_freq", "mips_exit_vm", "mips_console_output",
                                  "clock_pairing", "send_ipi", "sched_yield", "map_gpa_range"};
    if (nr > 0 && nr < int64_t(sizeof names / sizeof *names)) return names[nr];
    return "hc_" + std::to_string(nr);
}

std::string exit_reason_name(int64_t reason, int64_t isa) {
    // The few reasons a host-side reader meets most; the rest keep numbers.
    static const std::unordered_map<int64_t, const char*> vmx = {
        {0, "EXCEPTION_NMI"}, {1, "EXTERNAL_INTERRUPT"}, {7, "PENDING_INTERRUPT"}, {10, "CPUID"},
        {12, "HLT"}, {18, "VMCALL"}, {28, "CR_ACCESS"}, {30, "IO_INSTRUCTION"}, {31, "MSR_READ"},
        {32, "MSR_WRITE"}, {44, "APIC_ACCESS"}, {48, "EPT_VIOLATION"}, {49, "EPT_MISCONFIG"}};
    static const std::unordered_map<int64_t, const char*> svm = {
        {0x060, "intr"}, {0x061, "nmi"}, {0x072, "cpuid"}, {0x078, "hlt"}, {0x07b, "io"},
        {0x07c, "msr"}, {0x081, "vmmcall"}, {0x400, "npf"}, {0x040, "excp_de"}, {0x04e, "pf"}};
    const auto& table = isa == 2 ? svm : vmx;
    auto it = table.find(reason);
    std::string prefix = isa == 2 ? "svm:" : isa == 1 ? "vmx:" : "exit:";
    return prefix + (it != table.end() ? std::string(it->second) : std::to_string(reason));
}

std::string normalize_function(const std::string& raw) {
    static const std::regex suffix(R"((\.(isra|constprop|part|llvm|lto_priv)\.\d+|\.cold(\.\d+)?)+$)");
    static const std::regex syscall_entry(R"(^(__x64_sys_|__ia32_sys_|__se_sys_|__do_sys_|__x32_compat_sys_|__ia32_compat_sys_|SyS_|sys_)(.+)$)");
    std::string s = std::regex_replace(raw, suffix, "");
    std::smatch m;
    if (std::regex_match(s, m, syscall_entry)) s = "sys_" + m[2].str();
    return s;
}

}  // namespace hap
