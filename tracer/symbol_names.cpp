#include "symbol_names.h"

#include <regex>
#include <unordered_map>

#include "syscall_abi.h"

namespace hap {
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

std::string syscall_name(int64_t nr) { return syscall_name(SyscallAbi::X86_64, nr); }

std::string hypercall_name(int64_t nr) {
    // include/uapi/linux/kvm_para.h
    static const char* names[] = {nullptr, "vapic_poll_irq", "mmu_op", "features", "ppc_map_magic_page",
                                  "kick_cpu", "mips_get_clock_freq", "mips_exit_vm", "mips_console_output",
                                  "clock_pairing", "send_ipi", "sched_yield", "map_gpa_range"};
    if (nr > 0 && nr < int64_t(sizeof names / sizeof *names)) return names[nr];
    return "hc_" + std::to_string(nr);
}

std::string exit_reason_name(int64_t reason, int64_t isa) {
    // Every basic exit reason of arch/x86/include/uapi/asm/vmx.h (VMX_EXIT_REASONS)
    // and svm.h (SVM_EXIT_REASONS), in the kernel's own words (SVM's
    // lowercased, exceptions as excp_<vector>); an unlisted one keeps its number.
    static const std::unordered_map<int64_t, const char*> vmx = {
        {0, "EXCEPTION_NMI"}, {1, "EXTERNAL_INTERRUPT"}, {2, "TRIPLE_FAULT"}, {3, "INIT_SIGNAL"}, {4, "SIPI_SIGNAL"},
        {7, "PENDING_INTERRUPT"}, {8, "NMI_WINDOW"}, {9, "TASK_SWITCH"}, {10, "CPUID"}, {12, "HLT"}, {13, "INVD"},
        {14, "INVLPG"}, {15, "RDPMC"}, {16, "RDTSC"}, {18, "VMCALL"}, {19, "VMCLEAR"}, {20, "VMLAUNCH"}, {21, "VMPTRLD"},
        {22, "VMPTRST"}, {23, "VMREAD"}, {24, "VMRESUME"}, {25, "VMWRITE"}, {26, "VMOFF"}, {27, "VMON"},
        {28, "CR_ACCESS"}, {29, "DR_ACCESS"}, {30, "IO_INSTRUCTION"}, {31, "MSR_READ"}, {32, "MSR_WRITE"},
        {33, "INVALID_STATE"}, {34, "MSR_LOAD_FAIL"}, {36, "MWAIT_INSTRUCTION"}, {37, "MONITOR_TRAP_FLAG"},
        {39, "MONITOR_INSTRUCTION"}, {40, "PAUSE_INSTRUCTION"}, {41, "MCE_DURING_VMENTRY"}, {43, "TPR_BELOW_THRESHOLD"},
        {44, "APIC_ACCESS"}, {45, "EOI_INDUCED"}, {46, "GDTR_IDTR"}, {47, "LDTR_TR"}, {48, "EPT_VIOLATION"},
        {49, "EPT_MISCONFIG"}, {50, "INVEPT"}, {51, "RDTSCP"}, {52, "PREEMPTION_TIMER"}, {53, "INVVPID"},
        {54, "WBINVD"}, {55, "XSETBV"}, {56, "APIC_WRITE"}, {57, "RDRAND"}, {58, "INVPCID"}, {59, "VMFUNC"},
        {60, "ENCLS"}, {61, "RDSEED"}, {62, "PML_FULL"}, {63, "XSAVES"}, {64, "XRSTORS"}, {67, "UMWAIT"},
        {68, "TPAUSE"}, {74, "BUS_LOCK"}, {75, "NOTIFY"}};
    static const std::unordered_map<int64_t, std::string> svm = [] {
        std::unordered_map<int64_t, std::string> t = {
            {0x060, "intr"}, {0x061, "nmi"}, {0x062, "smi"}, {0x063, "init"}, {0x064, "vintr"},
            {0x065, "cr0_sel_write"}, {0x066, "idtr_read"}, {0x067, "gdtr_read"}, {0x068, "ldtr_read"},
            {0x069, "tr_read"}, {0x06a, "idtr_write"}, {0x06b, "gdtr_write"}, {0x06c, "ldtr_write"}, {0x06d, "tr_write"},
            {0x06e, "rdtsc"}, {0x06f, "rdpmc"}, {0x070, "pushf"}, {0x071, "popf"}, {0x072, "cpuid"}, {0x073, "rsm"},
            {0x074, "iret"}, {0x075, "swint"}, {0x076, "invd"}, {0x077, "pause"}, {0x078, "hlt"}, {0x079, "invlpg"},
            {0x07a, "invlpga"}, {0x07b, "io"}, {0x07c, "msr"}, {0x07d, "task_switch"}, {0x07e, "ferr_freeze"},
            {0x07f, "shutdown"}, {0x080, "vmrun"}, {0x081, "vmmcall"}, {0x082, "vmload"}, {0x083, "vmsave"},
            {0x084, "stgi"}, {0x085, "clgi"}, {0x086, "skinit"}, {0x087, "rdtscp"}, {0x088, "icebp"},
            {0x089, "wbinvd"}, {0x08a, "monitor"}, {0x08b, "mwait"}, {0x08c, "mwait_cond"}, {0x08d, "xsetbv"},
            {0x08e, "rdpru"}, {0x08f, "efer_write_trap"}, {0x0a0, "invlpgb"}, {0x0a1, "invlpgb_illegal"},
            {0x0a2, "invpcid"}, {0x0a3, "mcommit"}, {0x0a4, "tlbsync"}, {0x400, "npf"},
            {0x401, "avic_incomplete_ipi"}, {0x402, "avic_unaccelerated_access"}, {0x403, "vmgexit"}};
        for (int i = 0; i < 16; ++i) {
            t[0x000 + i] = "read_cr" + std::to_string(i);
            t[0x010 + i] = "write_cr" + std::to_string(i);
            t[0x020 + i] = "read_dr" + std::to_string(i);
            t[0x030 + i] = "write_dr" + std::to_string(i);
            t[0x090 + i] = "cr" + std::to_string(i) + "_write_trap";
        }
        static const char* vectors[] = {"de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", "09", "ts", "np",
                                        "ss", "gp", "pf", "15", "mf", "ac", "mc", "xm", "ve", "cp"};
        for (int v = 0; v < 32; ++v)
            t[0x040 + v] = std::string("excp_") + (v < 22 ? vectors[v] : std::to_string(v).c_str());
        t[0x04e] = "pf";  // hap's name since its first captures
        return t;
    }();
    std::string prefix = isa == 2 ? "svm:" : isa == 1 ? "vmx:" : "exit:";
    if (isa == 2) {
        auto it = svm.find(reason);
        return prefix + (it != svm.end() ? it->second : std::to_string(reason));
    }
    auto it = vmx.find(reason);
    return prefix + (it != vmx.end() ? std::string(it->second) : std::to_string(reason));
}

std::string normalize_function(const std::string& raw) {
    static const std::regex suffix(R"((\.(isra|constprop|part|llvm|lto_priv)\.\d+|\.cold(\.\d+)?)+$)");
    static const std::regex syscall_entry(R"(^(__x64_sys_|__ia32_sys_|__se_sys_|__do_sys_|__x32_compat_sys_|__ia32_compat_sys_|SyS_|sys_)(.+)$)");
    // Kallsyms::lookup's NAME@OBJECT:N tells same-named functions apart; the
    // source name is what precedes it.
    std::string s = std::regex_replace(raw.substr(0, raw.find('@')), suffix, "");
    std::smatch m;
    if (std::regex_match(s, m, syscall_entry)) s = "sys_" + m[2].str();
    return s;
}

}  // namespace hap
