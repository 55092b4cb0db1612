// Where a profile lives (issue 23): function -> source file, from the table
// scripts/sources/build-table makes from a kernel's source (by name) and the
// one scripts/sources/build-exact-table makes from the debug symbols of the
// measured build (exact), and file -> MAINTAINERS section and top directory
// (maintainers.h). Stored per kernel release (`hapctl sources import`).
//
// Exact rows win: where a map has them for a name, the by-name rows are not
// read. A name defined in several files (by name), or several functions of
// one name in the build (exact: static functions of several files), is
// ambiguous: all its files are listed and none is chosen; its section is the
// one all those files share, else "ambiguous". The raw names a run reached
// (init_once@vmlinux:7, Kallsyms::lookup) pick one of an exact name's
// functions (locate_raw). A name the table lacks is "unmapped". Syscalls (kind
// "syscall", named "read") are looked up as the function SYSCALL_DEFINE
// makes of them ("sys_read"), so they group by the file that defines them;
// hypercalls and VM exit reasons at the function that handles them
// (kvm_emulate_hypercall, vmx_handle_exit, svm_handle_exit).
#pragma once

#include <istream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "error.h"
#include "maintainers.h"
#include "store.h"

namespace hap {

inline constexpr const char* kUnmapped = "unmapped";
inline constexpr const char* kAmbiguous = "ambiguous";

// Which rows a lookup may read: exact where there are any, else by name
// (Best), or one method alone (to compare them, `hapctl sources coverage`).
enum class LocateBy { Best, Exact, Name };

struct SourceLocation {
    enum class Status { Mapped, Ambiguous, Unmapped };
    Status status = Status::Unmapped;
    LocateBy method = LocateBy::Best;  // Exact or Name: which rows answered; Best when unmapped
    std::vector<std::string> files;  // one when mapped; every defining file when ambiguous
    std::string section;             // MAINTAINERS section, kAmbiguous or kUnmapped
    std::string directory;           // top_directory(), kAmbiguous or kUnmapped
    std::string file() const;        // the file, or the files joined by ';'
};

// The rows of a table CSV ("function,file,line,how" after '#' comment
// lines, or "function,file,line,how,symbol", which exact tables have: a row
// of how "exact" names its symbol NAME@OBJECT:N); `description` gets the
// first comment line (which source, when).
Expected<std::vector<SourceRow>> parse_source_csv(std::istream& in, const std::string& origin, std::string* description = nullptr);

class SourceMap {
public:
    SourceMap(const std::vector<SourceRow>& rows, Maintainers maintainers, std::string description = "");
    static SourceMap from_stored(const StoredSourceMap& stored);

    SourceLocation locate(const std::string& kind, const std::string& name, LocateBy by = LocateBy::Best) const;
    // A function by the raw names a run reached for it (`foo`,
    // `foo.isra.0`, `foo@vmlinux:2`): each raw name with "@OBJECT:N" is that
    // one symbol, one without it every symbol of the name (the kernel
    // numbers a name only when several functions share it). Exact rows
    // first; where none matches, locate(function) as above.
    SourceLocation locate_raw(const std::string& function, const std::vector<std::string>& raw, LocateBy by = LocateBy::Best) const;
    // Whether the source (or the build) defines a function of this name at all.
    bool defines(const std::string& function) const { return files_.count(function) > 0 || exact_.count(function) > 0; }
    bool has_exact() const { return !exact_.empty(); }
    bool has_by_name() const { return !files_.empty(); }
    // The function's position among its file's definitions in line order
    // (definitions on one line, a syscall's entry points, share one);
    // nullopt when the name is unmapped or ambiguous. Read from the by-name
    // rows only: they list every definition of the source, the exact ones
    // only what the build compiled (and no inline function).
    std::optional<size_t> position(const std::string& function) const;
    // The functions defined just before and just after it in its file (on
    // other lines); empty where it is the first or the last, or unmapped.
    std::pair<std::string, std::string> neighbours(const std::string& function) const;
    const std::string& description() const { return description_; }
    size_t functions() const;

private:
    // By name: function -> (file, line). Exact: function -> one (file, line)
    // per symbol, symbol -> (file, line), and raw name (what precedes "@")
    // -> (file, line) of each of its symbols.
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> files_;
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> exact_;
    std::map<std::string, std::pair<std::string, int64_t>> by_symbol_;
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> by_raw_;
    // sys_NAME's x86-64 entry points (__x64_sys_, __do_sys_, __se_sys_):
    // a syscall hap names without an ABI is the 64-bit one, not the ia32
    // compat entry that normalises to the same name in another file.
    std::map<std::string, std::vector<std::pair<std::string, int64_t>>> native_;
    std::map<std::string, std::vector<int64_t>> lines_;                           // file -> distinct lines, sorted
    std::map<std::string, std::vector<std::pair<int64_t, std::string>>> order_;   // file -> (line, function), sorted
    Maintainers maintainers_;
    mutable std::map<std::string, SectionMatch> sections_;  // file -> its section, computed once
    std::string description_;
    const std::string& section(const std::string& file) const;
    SourceLocation located(std::vector<std::string> files, LocateBy method) const;
};

// Maps by kernel release; a release without one has no entry.
using SourceMaps = std::map<std::string, SourceMap>;
// Reads the maps of these releases from the store (absent ones are skipped).
Expected<SourceMaps> load_source_maps(Store& store, const std::vector<std::string>& releases);

// Locates a name in the first of `maps` that has one for its kernel(s):
// a side of a diff may span kernels. No map at all: unmapped.
SourceLocation locate_in(const std::vector<const SourceMap*>& maps, const std::string& kind, const std::string& name);

// Source renames hap knows (6.10's memory allocation profiling).
const std::vector<std::string>& known_rename_suffixes();

struct Rename {
    std::string before, after, file;
    std::string rule;  // "suffix _noprof", "after NAME" or "before NAME" (the neighbour both share)
};

struct RenamePairs {
    std::vector<Rename> renamed;
    std::vector<std::string> added, removed;  // what no pair explains: new surface, and gone
};

// Pairs names gone across two kernels with new ones when both are the same
// function under a new name: each maps to one and the same file (in its own
// kernel), the old name is no longer defined in the new source nor the new
// one in the old, and either
//   - one name is the other plus a known suffix (`__alloc_pages` ->
//     `__alloc_pages_noprof`), or
//   - both hold the same position among their file's functions, read
//     against a neighbour that kept its name: the function just before (or
//     just after) the old one in the old file is the one just before (or
//     after) the new one in the new file. An absolute index alone pairs
//     strangers in a file that gained or lost functions above them.
// Suffix pairs are made first; a position pair only when the old name has
// exactly one such new name and the new name exactly one such old name
// (never a guess between two). Without both maps nothing is paired.
RenamePairs pair_renames(const std::vector<std::string>& removed, const std::vector<std::string>& added, const SourceMap* before,
                         const SourceMap* after);

}  // namespace hap
