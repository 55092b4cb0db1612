#include "kallsyms.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

namespace hap {

Kallsyms Kallsyms::parse(const std::string& text) {
    Kallsyms k;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        // "ffffffff81000000 T _stext" or "ffffffffc0a01000 t kvm_foo\t[kvm]"
        std::istringstream l(line);
        std::string addr, type, name;
        if (!(l >> addr >> type >> name) || type.size() != 1) continue;
        const char t = type[0];
        if (t != 't' && t != 'T' && t != 'w' && t != 'W') continue;
        uint64_t a = std::strtoull(addr.c_str(), nullptr, 16);
        if (a == 0) continue;
        k.syms_.push_back(Sym{a, name});
    }
    std::stable_sort(k.syms_.begin(), k.syms_.end(), [](const Sym& x, const Sym& y) { return x.addr < y.addr; });
    return k;
}

std::string Kallsyms::lookup(uint64_t addr) const {
    auto it = std::upper_bound(syms_.begin(), syms_.end(), addr, [](uint64_t a, const Sym& s) { return a < s.addr; });
    if (it == syms_.begin()) return "";
    return std::prev(it)->name;
}

}  // namespace hap
