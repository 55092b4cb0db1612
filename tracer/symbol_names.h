// Names for what the tracer counts, and the normalised form that lets kernels
// be compared (DESIGN.md, "Symbols across kernels").
#pragma once

#include <cstdint>
#include <string>

namespace hap {

// What a hit is a hit of; stored with every symbol.
enum class SymbolKind : uint8_t { Function, Syscall, Hypercall, ExitReason, Pio, Mmio };
const char* symbol_kind_name(SymbolKind k);

// x86_64 syscall table; syscall_abi.h names the numbers of every ABI.
std::string syscall_name(int64_t nr);
std::string hypercall_name(int64_t nr);               // KVM_HC_* numbers
std::string exit_reason_name(int64_t reason, int64_t isa);  // isa: 1 VMX, 2 SVM

// `__x64_sys_read` / `__do_sys_read` / `SyS_read` -> `sys_read`;
// `foo.isra.0`, `foo.constprop.3`, `foo.part.1`, `foo.cold` -> `foo`;
// `foo@vmlinux:2` (one of two functions named foo, Kallsyms::lookup) -> `foo`.
std::string normalize_function(const std::string& raw);

}  // namespace hap
