// Address -> kernel function name from a kallsyms text (/proc/kallsyms or the
// copy a capture keeps), so a replay names functions as the traced kernel
// did, whatever kernel replays it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
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
    // all addresses are zero (kallsyms read without privilege). A name that
    // text symbols at more than one address carry (static functions of two
    // files, a module's copy of a core function) comes back as
    // NAME@OBJECT:N, OBJECT being "vmlinux" or the module, N counting that
    // object's functions of the name from 1 in address order: two functions,
    // two raw names, the same on every boot of that build (KASLR moves the
    // core kernel, and each module, as one block). normalize_function drops it.
    std::string lookup(uint64_t addr) const;
    size_t size() const { return syms_.size(); }
    // Every symbol in address order: its address, the next higher symbol's
    // address (UINT64_MAX for the last), its name (valid while this lives).
    void for_each(const std::function<void(uint64_t addr, uint64_t next, std::string_view name)>& fn) const;
    // The same with each symbol's module ("" for the core kernel).
    void for_each(const std::function<void(uint64_t addr, uint64_t next, std::string_view name, std::string_view module)>& fn) const;

private:
    // Names stay in text_: a kernel has 150-200 k symbols and a replay names
    // a few thousand of them, so no string is made per symbol.
    struct Sym {
        uint64_t addr;
        uint32_t name_at;  // the name runs to the next blank or newline
    };
    void index();
    std::string_view name_of(const Sym& sym) const;
    std::string_view module_of(const Sym& sym) const;  // "" for the core kernel
    // "@OBJECT:N" per symbol whose name is shared, by index in syms_. Built
    // at the first lookup, not in index(): it hashes every name, and most
    // users of a Kallsyms (entry paths, trim) never look one up.
    struct SameNames {
        std::once_flag once;
        std::unordered_map<size_t, std::string> suffix;
    };
    const SameNames& same_names() const;
    std::shared_ptr<const void> storage_;  // owns what text_ views: a string or a mapping
    std::string_view text_;
    std::vector<Sym> syms_;  // sorted by address
    std::shared_ptr<SameNames> same_ = std::make_shared<SameNames>();  // shared by copies, like storage_
};

}  // namespace hap
