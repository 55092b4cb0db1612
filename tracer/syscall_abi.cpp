#include "syscall_abi.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include "files.h"
#include "kallsyms.h"

namespace hap {
namespace {

using Table = std::unordered_map<int64_t, const char*>;

const Table& table_64() {
    static const Table t = {
#include "syscall_table_64.inc"
    };
    return t;
}
const Table& table_32() {
    static const Table t = {
#include "syscall_table_32.inc"
    };
    return t;
}
const Table& table_x32() {  // numbers without kX32SyscallBit
    static const Table t = {
#include "syscall_table_x32.inc"
    };
    return t;
}

std::string from(const Table& t, int64_t nr) {
    auto it = t.find(nr);
    return it != t.end() ? std::string(it->second) : "syscall_" + std::to_string(nr);
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

const char* syscall_abi_name(SyscallAbi abi) {
    switch (abi) {
        case SyscallAbi::X86_64: return "x86_64";
        case SyscallAbi::Ia32: return "ia32";
        case SyscallAbi::X32: return "x32";
        case SyscallAbi::Unknown: return "unknown";
    }
    return "unknown";
}

std::optional<SyscallAbi> parse_syscall_abi(std::string_view name) {
    for (auto a : {SyscallAbi::Unknown, SyscallAbi::X86_64, SyscallAbi::Ia32, SyscallAbi::X32})
        if (name == syscall_abi_name(a)) return a;
    return std::nullopt;
}

std::string syscall_name(SyscallAbi abi, int64_t nr) {
    switch (abi) {
        case SyscallAbi::X86_64: return from(table_64(), nr);
        case SyscallAbi::Ia32: return "ia32:" + from(table_32(), nr);
        case SyscallAbi::X32: return "x32:" + from(table_x32(), nr & ~kX32SyscallBit);
        case SyscallAbi::Unknown: break;
    }
    return "unknown:" + std::to_string(nr);
}

std::optional<EntryPathFunction> entry_path_function(std::string_view name) {
    // Before sys_enter: the C half of each entry (arch/x86/entry/common.c).
    // noinstr since 5.9, so only older kernels trace them; since 5.9 they all
    // sit in .noinstr.text, which keeps maybe_before()'s span small. Not the
    // assembly entry_INT80_compat: never traced, and in .entry.text it would
    // stretch the span over .sched.text and .spinlock.text.
    // Every name below starts with one of these: most of a kernel's
    // 150-200 k symbols are passed over here, at the start of each replay,
    // without being hashed.
    if (name.empty() || (name[0] != '_' && name[0] != 'd' && name[0] != 'i' && name[0] != 'x')) return std::nullopt;
    static const std::unordered_map<std::string_view, SyscallAbi> before = {
        {"do_int80_syscall_32", SyscallAbi::Ia32},   {"do_fast_syscall_32", SyscallAbi::Ia32},
        {"__do_fast_syscall_32", SyscallAbi::Ia32},  {"do_SYSENTER_32", SyscallAbi::Ia32},
        {"do_syscall_32_irqs_on", SyscallAbi::Ia32}, {"int80_emulation", SyscallAbi::Ia32},
        {"do_syscall_64", SyscallAbi::X86_64},
        {"do_syscall_x64", SyscallAbi::X86_64},      {"do_syscall_x32", SyscallAbi::X32}};
    if (auto it = before.find(name); it != before.end()) return EntryPathFunction{it->second, true};
    // After sys_enter: the dispatch (x64_sys_call & co., 6.9 and stable
    // backports such as Debian's 6.1) and the per-ABI stubs of
    // asm/syscall_wrapper.h (4.17+). x32 calls __x64_sys_* for the calls it
    // shares; its number's bit still says x32 (effective_abi).
    if (name == "ia32_sys_call" || starts_with(name, "__ia32_sys_") || starts_with(name, "__ia32_compat_sys_"))
        return EntryPathFunction{SyscallAbi::Ia32, false};
    if (name == "x64_sys_call" || starts_with(name, "__x64_sys_")) return EntryPathFunction{SyscallAbi::X86_64, false};
    if (name == "x32_sys_call" || starts_with(name, "__x32_compat_sys_")) return EntryPathFunction{SyscallAbi::X32, false};
    return std::nullopt;
}

EntryPathIndex EntryPathIndex::of(const Kallsyms& syms) {
    EntryPathIndex idx;
    syms.for_each([&](uint64_t addr, uint64_t next, std::string_view name) {
        if (addr == 0) return;  // kallsyms read without privilege
        if (auto f = entry_path_function(name)) idx.add(addr, next, *f);
    });
    idx.finish();
    return idx;
}

void EntryPathIndex::add(uint64_t start, uint64_t end, EntryPathFunction f) {
    ranges_.push_back(Range{start, end, f});
    if (f.before_sys_enter) {
        before_lo_ = std::min(before_lo_, start);
        before_hi_ = std::max(before_hi_, end);
        before_span_ = before_hi_ > before_lo_ ? before_hi_ - before_lo_ : 0;
    }
}

void EntryPathIndex::finish() {
    std::sort(ranges_.begin(), ranges_.end(), [](const Range& a, const Range& b) { return a.start < b.start; });
    page_bits_.clear();
    if (ranges_.empty()) return;
    constexpr uint64_t kMaxPages = 1u << 20;  // 4 GiB of text, a 128 KiB map
    uint64_t last = 0;
    for (const Range& r : ranges_) {
        // A range without a known end (the last symbol) or a huge one: no map.
        if (r.end <= r.start || r.end - r.start > (64u << 20)) return;
        last = std::max(last, (r.end - 1) >> 12);
    }
    page_base_ = ranges_.front().start >> 12;
    if (last - page_base_ >= kMaxPages) return;
    page_bits_.assign((last - page_base_) / 64 + 1, 0);
    for (const Range& r : ranges_)
        for (uint64_t p = (r.start >> 12) - page_base_; p <= ((r.end - 1) >> 12) - page_base_; ++p)
            page_bits_[p / 64] |= 1ull << (p % 64);
}

const EntryPathFunction* EntryPathIndex::find(uint64_t addr) const {
    if (!on_entry_page(addr)) return nullptr;
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), addr, [](uint64_t a, const Range& r) { return a < r.start; });
    if (it == ranges_.begin()) return nullptr;
    --it;
    return addr < it->end ? &it->f : nullptr;
}

SyscallAbi elf_syscall_abi(const void* header, size_t size) {
    // include/uapi/linux/elf.h: e_ident[EI_CLASS] at 4, e_ident[EI_DATA] at 5,
    // e_machine (16 bits) at 18 in both classes.
    const auto* h = static_cast<const unsigned char*>(header);
    if (size < 20 || std::memcmp(h, "\177ELF", 4) != 0 || h[5] != 1 /* ELFDATA2LSB */) return SyscallAbi::Unknown;
    const unsigned machine = h[18] | h[19] << 8;
    constexpr unsigned kEm386 = 3, kEmX86_64 = 62;
    if (h[4] == 2 && machine == kEmX86_64) return SyscallAbi::X86_64;
    if (h[4] == 1 && machine == kEm386) return SyscallAbi::Ia32;
    if (h[4] == 1 && machine == kEmX86_64) return SyscallAbi::X32;
    return SyscallAbi::Unknown;
}

SyscallAbi elf_syscall_abi_of_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return SyscallAbi::Unknown;
    unsigned char h[20];
    const ssize_t n = ::pread(fd, h, sizeof h, 0);
    ::close(fd);
    return n > 0 ? elf_syscall_abi(h, static_cast<size_t>(n)) : SyscallAbi::Unknown;
}

SyscallAbi exec_abi_from_proc(pid_t tid, std::string_view filename, std::string_view comm, pid_t parent) {
    const std::string proc = "/proc/" + std::to_string(tid);
    // The kernel's comm is the basename cut to TASK_COMM_LEN - 1 bytes.
    auto comm_file = read_file(proc + "/comm");
    std::string now = comm_file ? *comm_file : "";
    while (!now.empty() && now.back() == '\n') now.pop_back();
    if (!now.empty() && now == comm.substr(0, 15)) {
        if (auto abi = elf_syscall_abi_of_file(proc + "/exe"); abi != SyscallAbi::Unknown) return abi;
    }
    // The task renamed itself, or exec'd a script (exe is its interpreter and
    // the comm the script's): the file it exec'd, as its root sees it.
    if (filename.empty() || filename.front() != '/') return SyscallAbi::Unknown;
    if (auto abi = elf_syscall_abi_of_file(proc + "/root" + std::string(filename)); abi != SyscallAbi::Unknown) return abi;
    // Gone already: its parent's view of the same path.
    if (parent > 0) return elf_syscall_abi_of_file("/proc/" + std::to_string(parent) + "/root" + std::string(filename));
    return SyscallAbi::Unknown;
}

}  // namespace hap
