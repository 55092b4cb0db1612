#include "kallsyms.h"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstring>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

namespace hap {

Kallsyms Kallsyms::parse(std::string text) {
    Kallsyms k;
    auto owned = std::make_shared<const std::string>(std::move(text));
    k.text_ = *owned;
    k.storage_ = std::move(owned);
    k.index();
    return k;
}

Expected<Kallsyms> Kallsyms::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno_error("cannot open " + path);
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        // Not a plain file (or /proc's, which says size 0): read it.
        ::close(fd);
        auto text = read_file(path);
        if (!text) return text.error();
        return parse(std::move(*text));
    }
    const size_t size = static_cast<size_t>(st.st_size);
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (m == MAP_FAILED) return errno_error("cannot map " + path);
    Kallsyms k;
    k.storage_ = std::shared_ptr<const void>(m, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
    k.text_ = std::string_view(static_cast<const char*>(m), size);
    k.index();
    return k;
}

void Kallsyms::index() {
    // This runs at the start of a replay over 4-6 MB, 150-200 k lines of
    // "%px %c %s[\t[module]]": a line is found with memchr, only its address
    // and type are read, and a name's end is found when it is looked up.
    Kallsyms& k = *this;
    k.syms_.reserve(k.text_.size() / 40);  // a line is about 40 bytes
    const char* const base = k.text_.data();
    const char* const end = base + k.text_.size();
    for (const char* p = base; p < end;) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (!nl) nl = end;
        const char* line = p;
        p = nl + 1;
        // /proc/kallsyms of a 64-bit kernel: "%016lx %c %s": the type sits
        // at a fixed column, so the half of the lines that are not text
        // symbols are passed over before their address is parsed.
        if (nl - line > 19 && line[16] == ' ' && line[18] == ' ') {
            const char t = line[17];
            if (t != 't' && t != 'T' && t != 'w' && t != 'W') continue;
        }
        while (line < nl && (*line == ' ' || *line == '\t')) ++line;
        uint64_t a = 0;
        const auto parsed = std::from_chars(line, nl, a, 16);
        if (parsed.ec != std::errc() || a == 0) continue;
        const char* q = parsed.ptr;  // not a structured binding: clang 14 cannot capture one
        auto blanks = [&] {
            const char* from = q;
            while (q < nl && (*q == ' ' || *q == '\t')) ++q;
            return q > from;
        };
        if (!blanks() || q >= nl) continue;
        const char t = *q++;
        if (t != 't' && t != 'T' && t != 'w' && t != 'W') continue;
        if (!blanks() || q >= nl) continue;  // the type is one letter, then the name
        // CONFIG_CALL_PADDING (Debian's 6.12) gives every function a
        // `__pfx_NAME` over the 16 bytes of padding before it, FineIBT a
        // `__cfi_NAME`: never code a record is reached in, never a name to
        // count. Left out, an address in the padding names the function before.
        if (nl - q > 6 && (std::string_view(q, 6) == "__pfx_" || std::string_view(q, 6) == "__cfi_")) continue;
        k.syms_.push_back(Sym{a, static_cast<uint32_t>(q - base)});
    }
    // Of several names at one address, lookup keeps the first listed:
    // name_at breaks ties in file order. The core kernel's lines come sorted
    // (nine tenths of them); only the modules' after them are sorted and
    // merged in.
    auto by_addr = [](const Sym& x, const Sym& y) { return x.addr < y.addr || (x.addr == y.addr && x.name_at < y.name_at); };
    const auto sorted_end = std::is_sorted_until(k.syms_.begin(), k.syms_.end(), by_addr);
    if (sorted_end != k.syms_.end()) {
        std::sort(sorted_end, k.syms_.end(), by_addr);
        std::inplace_merge(k.syms_.begin(), sorted_end, k.syms_.end(), by_addr);
    }
}

std::string Kallsyms::lookup(uint64_t addr) const {
    auto it = std::upper_bound(syms_.begin(), syms_.end(), addr, [](uint64_t a, const Sym& s) { return a < s.addr; });
    if (it == syms_.begin()) return "";
    // Of aliases (names at one address) the kernel prints the first in its
    // table, which is the first listed (kallsyms.c, get_symbol_pos).
    auto sym = std::prev(it);
    while (sym != syms_.begin() && std::prev(sym)->addr == sym->addr) --sym;
    std::string name(name_of(*sym));
    const auto& same = same_names().suffix;
    if (auto s = same.find(static_cast<size_t>(sym - syms_.begin())); s != same.end()) name += s->second;
    return name;
}

const Kallsyms::SameNames& Kallsyms::same_names() const {
    std::call_once(same_->once, [this] {
        // Addresses per name; two names at one address (aliases) are one
        // function and lookup gives the first, so only distinct addresses count.
        // This runs over every symbol (150-200 k) at the first lookup, one
        // thread's time at the end of a replay however many readers it has.
        // Open addressing in one flat table of 8-byte slots (no allocation
        // per name: a node per name was most of the time naming took). A
        // slot holds a distinct name's first symbol; `leader` maps every
        // symbol to that first symbol, whose entry in `addresses` counts the
        // distinct addresses of the name. The table (2 MB at 100 k symbols)
        // misses the cache on nearly every probe, so every name is hashed
        // first and each symbol's home slot fetched a few symbols ahead.
        struct Slot {
            uint32_t first = UINT32_MAX;  // UINT32_MAX: empty
            uint32_t hash = 0;
        };
        const size_t n = syms_.size();
        const size_t capacity = std::bit_ceil(std::max<size_t>(16, n * 2));
        std::vector<Slot> table(capacity);
        // A slot's place is the low bits of the name's hash: the table has at
        // most 2^32 slots (name_at is 32 bits), so 32 bits of hash suffice.
        std::vector<uint32_t> hashes(n), leader(n), addresses(n, 0), latest(n);
        const std::hash<std::string_view> hasher;
        for (size_t i = 0; i < n; ++i) hashes[i] = static_cast<uint32_t>(hasher(name_of(syms_[i])));
        const auto home = [&](size_t i) { return hashes[i] & (capacity - 1); };
        constexpr size_t ahead = 16;
        for (size_t i = 0; i < n; ++i) {
            if (i + ahead < n) __builtin_prefetch(&table[home(i + ahead)]);
            const std::string_view name = name_of(syms_[i]);
            size_t j = home(i);
            while (table[j].first != UINT32_MAX &&
                   (table[j].hash != hashes[i] || name_of(syms_[table[j].first]) != name))
                j = (j + 1) & (capacity - 1);
            if (table[j].first == UINT32_MAX) {
                table[j] = Slot{static_cast<uint32_t>(i), hashes[i]};
                leader[i] = latest[i] = static_cast<uint32_t>(i);
                addresses[i] = 1;
            } else {
                // Symbols come in address order: "another address" is "not
                // the latest symbol of the name's address".
                const uint32_t first = table[j].first;
                if (syms_[latest[first]].addr != syms_[i].addr) ++addresses[first];
                latest[first] = static_cast<uint32_t>(i);
                leader[i] = first;
            }
        }
        std::unordered_map<std::string, size_t> ordinal;  // "name\0module" -> functions so far
        std::unordered_map<std::string, uint64_t> ordinal_addr;
        for (size_t i = 0; i < syms_.size(); ++i) {
            if (addresses[leader[i]] < 2) continue;
            const std::string_view n = name_of(syms_[i]);
            const std::string_view mod = module_of(syms_[i]);
            std::string key = std::string(n) + '\0' + std::string(mod);
            auto [at, fresh] = ordinal_addr.try_emplace(key, syms_[i].addr);
            size_t& k = ordinal[key];
            if (fresh || at->second != syms_[i].addr) ++k;
            at->second = syms_[i].addr;
            same_->suffix.emplace(i, "@" + (mod.empty() ? std::string("vmlinux") : std::string(mod)) + ":" + std::to_string(k));
        }
    });
    return *same_;
}

std::string_view Kallsyms::module_of(const Sym& sym) const {
    // "%px %c %s\t[%s]": the module in brackets after the name, if any.
    const size_t name_end = text_.find_first_of(" \t\n", sym.name_at);
    if (name_end == std::string_view::npos || text_[name_end] == '\n') return {};
    const size_t open = text_.find_first_not_of(" \t", name_end);
    if (open == std::string_view::npos || text_[open] != '[') return {};
    const size_t close = text_.find_first_of("]\n", open);
    if (close == std::string_view::npos || text_[close] != ']') return {};
    return text_.substr(open + 1, close - open - 1);
}

std::string_view Kallsyms::name_of(const Sym& sym) const {
    // A plain loop, not find_first_of: libstdc++'s runs a memchr over the
    // three stop characters for every character of the name, and naming a
    // replay reads every symbol's name (same_names).
    const char* const begin = text_.data() + sym.name_at;
    const char* const end = text_.data() + text_.size();
    const char* p = begin;
    while (p < end && *p != ' ' && *p != '\t' && *p != '\n') ++p;
    return {begin, static_cast<size_t>(p - begin)};
}

void Kallsyms::for_each(const std::function<void(uint64_t, uint64_t, std::string_view)>& fn) const {
    for_each([&](uint64_t addr, uint64_t next, std::string_view name, std::string_view) { fn(addr, next, name); });
}

void Kallsyms::for_each(const std::function<void(uint64_t, uint64_t, std::string_view, std::string_view)>& fn) const {
    for (size_t i = 0; i < syms_.size(); ++i) {
        uint64_t next = UINT64_MAX;
        for (size_t j = i + 1; j < syms_.size(); ++j)
            if (syms_[j].addr != syms_[i].addr) {
                next = syms_[j].addr;
                break;
            }
        fn(syms_[i].addr, next, name_of(syms_[i]), module_of(syms_[i]));
    }
}

}  // namespace hap
