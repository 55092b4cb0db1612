// Address -> kernel function name from a kallsyms text (/proc/kallsyms or the
// copy a capture keeps), so a replay names functions as the traced kernel
// did, whatever kernel replays it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hap {

class Kallsyms {
public:
    // Keeps text symbols (t/T/w/W) only; lines it cannot read are skipped.
    static Kallsyms parse(const std::string& text);
    // The function containing `addr`, "" when below the first symbol or when
    // all addresses are zero (kallsyms read without privilege).
    std::string lookup(uint64_t addr) const;
    size_t size() const { return syms_.size(); }

private:
    struct Sym {
        uint64_t addr;
        std::string name;
    };
    std::vector<Sym> syms_;  // sorted by address
};

}  // namespace hap
