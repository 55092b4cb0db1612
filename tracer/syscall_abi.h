// Which syscall table a syscall number belongs to. raw_syscalls:sys_enter
// carries only the number, and on x86-64 the same number means different
// calls by entry path: 20 is getpid through int $0x80 (ia32) but writev
// through `syscall` (x86_64). hap names each number from the table of the ABI
// it entered through, learnt from the entry path's function records where
// they are traced, else from the task's executable (see TaskAbis).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hap {

enum class SyscallAbi : uint8_t {
    Unknown = 0,  // nothing said which table: stored as "unknown:NR", never named
    X86_64 = 1,   // `syscall` from 64-bit code
    Ia32 = 2,     // int $0x80, sysenter, or `syscall` from 32-bit code
    X32 = 3,      // `syscall` with __X32_SYSCALL_BIT set in the number
};
const char* syscall_abi_name(SyscallAbi abi);  // "x86_64", "ia32", "x32", "unknown"
std::optional<SyscallAbi> parse_syscall_abi(std::string_view name);

// arch/x86/include/uapi/asm/unistd.h: x32 numbers are x86_64-like with this
// bit set, whatever the task's executable.
inline constexpr int64_t kX32SyscallBit = 0x40000000;

// The stored name of syscall `nr` entered through `abi`, from the uapi
// headers linux-libc-dev ships (asm/unistd_64.h, unistd_32.h, unistd_x32.h,
// read at build time):
//   X86_64 -> "read"             (no prefix: every run stored before ABIs were told apart is x86_64)
//   Ia32   -> "ia32:getpid"
//   X32    -> "x32:read"         (nr with or without kX32SyscallBit)
//   Unknown-> "unknown:20"       (the number only: naming it from any table would be a guess)
// A number missing from its table keeps it: "syscall_999", "ia32:syscall_999".
std::string syscall_name(SyscallAbi abi, int64_t nr);

// The ABI a number entered through, given what else is known: the x32 bit
// decides unless the entry path said ia32 (int $0x80 ignores the bit and
// fails the call with ENOSYS; it is still an ia32 number).
inline SyscallAbi effective_abi(SyscallAbi known, int64_t nr) {
    if (known != SyscallAbi::Ia32 && (nr & kX32SyscallBit)) return SyscallAbi::X32;
    return known;
}

// A kernel function on the syscall entry path, and whether it runs before
// raw_syscalls:sys_enter (the C entry of the path; traceable on kernels
// before 5.9's noinstr entry code) or after it (the dispatch: the table
// switch since 6.9 and stable backports, or the __<abi>_sys_ stubs since 4.17).
struct EntryPathFunction {
    SyscallAbi abi;
    bool before_sys_enter;
};
// `do_int80_syscall_32`, `ia32_sys_call`, `__ia32_sys_newuname`, ... -> its
// entry; any other name -> nullopt. Names from arch/x86/entry/common.c and
// syscall_{32,64,x32}.c, arch/x86/include/asm/syscall_wrapper.h.
std::optional<EntryPathFunction> entry_path_function(std::string_view name);

// Function addresses of one kernel's entry path, for the reader's hot path:
// a function record's address is looked up only right after a sys_enter of
// the same task (binary search over a few thousand ranges, no allocation),
// or when it falls in the span of the before-sys_enter functions (all in
// arch/x86/entry/common.c, so the span is a few KiB).
class EntryPathIndex {
public:
    // From a kernel's symbols: every function entry_path_function() knows.
    // A record's address may be inside its function (with IBT the fentry
    // call follows an endbr64), so each function is kept as [start, next).
    static EntryPathIndex of(const class Kallsyms& syms);
    void add(uint64_t start, uint64_t end, EntryPathFunction f);  // then finish()
    void finish();
    bool empty() const { return ranges_.empty(); }
    // One compare (unsigned wrap-around), not two: asked of every function
    // record of a function-mode replay.
    bool maybe_before(uint64_t addr) const { return addr - before_lo_ < before_span_; }
    // maybe_before's bounds, for a loop that keeps them in registers
    // (FunctionTally): addr - lo < span.
    uint64_t before_lo() const { return before_lo_; }
    uint64_t before_span() const { return before_span_; }
    // False when addr lies on a 4 KiB page of text that holds no entry-path
    // function, where find() is nullptr (true when there is no page map).
    bool on_entry_page(uint64_t addr) const {
        if (page_bits_.empty()) return true;
        const uint64_t p = (addr >> 12) - page_base_;  // wraps for addresses below: then too large
        return p / 64 < page_bits_.size() && (page_bits_[p / 64] >> (p % 64) & 1);
    }
    const EntryPathFunction* find(uint64_t addr) const;

private:
    struct Range {
        uint64_t start, end;
        EntryPathFunction f;
    };
    std::vector<Range> ranges_;  // sorted by start, disjoint
    uint64_t before_lo_ = UINT64_MAX, before_hi_ = 0;
    uint64_t before_span_ = 0;  // before_hi_ - before_lo_ once a function is in it
    // One bit per 4 KiB of kernel text from page_base_: set where an
    // entry-path function lies. find() runs for every function record while a
    // syscall waits for its dispatch record, and most such addresses are on
    // pages with none: one bit test instead of a binary search (7% of replay
    // instructions, issue 14). Empty when the ranges span too much to map.
    uint64_t page_base_ = 0;
    std::vector<uint64_t> page_bits_;
};

// The ABI an executable's syscalls use, from its ELF header (e_ident class,
// e_machine): ELF64 x86-64 -> X86_64, ELF32 i386 -> Ia32, ELF32 x86-64 ->
// X32; anything else (a script, another machine, unreadable) -> Unknown.
SyscallAbi elf_syscall_abi(const void* header, size_t size);
SyscallAbi elf_syscall_abi_of_file(const std::string& path);

// The ABI of the program `tid` has just exec'd (sched_process_exec with
// `filename` and new `comm`), read while the task lives: /proc/TID/exe when
// /proc/TID/comm still is `comm` (no later exec replaced it), else `filename`
// under /proc/TID/root. A short-lived task can exit before its exec record
// is decoded (up to tens of ms later): then `filename` under the root of its
// `parent` (0: unknown), which a child shares unless it changed root itself.
// Unknown when neither is readable.
SyscallAbi exec_abi_from_proc(pid_t tid, std::string_view filename, std::string_view comm, pid_t parent = 0);

}  // namespace hap
