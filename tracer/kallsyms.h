// Address -> kernel function name from a kallsyms text (/proc/kallsyms or the
// copy a capture keeps), so a replay names functions as the traced kernel
// did, whatever kernel replays it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "error.h"

namespace hap {

class Kallsyms {
public:
    // Keeps text symbols (t/T/w/W) only, without the `__pfx_` / `__cfi_`
    // padding symbols of 6.x kernels; lines it cannot read are skipped.
    static Kallsyms parse(std::string text);
    // A kallsyms file (a capture's copy), mapped rather than read: replays
    // start with it, and it is megabytes of which a few thousand names are used.
    static Expected<Kallsyms> open(const std::string& path);
    // The function containing `addr`, "" when below the first symbol or when
    // all addresses are zero (kallsyms read without privilege).
    std::string lookup(uint64_t addr) const;
    size_t size() const { return syms_.size(); }
    // Every symbol in address order: its address, the next higher symbol's
    // address (UINT64_MAX for the last), its name (valid while this lives).
    void for_each(const std::function<void(uint64_t addr, uint64_t next, std::string_view name)>& fn) const;

private:
    // Names stay in text_: a kernel has 150-200 k symbols and a replay names
    // a few thousand of them, so no string is made per symbol.
    struct Sym {
        uint64_t addr;
        uint32_t name_at;  // the name runs to the next blank or newline
    };
    void index();
    std::string_view name_of(const Sym& sym) const;
    std::shared_ptr<const void> storage_;  // owns what text_ views: a string or a mapping
    std::string_view text_;
    std::vector<Sym> syms_;  // sorted by address
};

}  // namespace hap
