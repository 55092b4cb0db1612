#include "source_map.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>

#include "files.h"

namespace hap {

std::string SourceLocation::file() const {
    std::string s;
    for (const auto& f : files) s += (s.empty() ? "" : ";") + f;
    return s;
}

Expected<std::vector<SourceRow>> parse_source_csv(std::istream& in, const std::string& origin, std::string* description) {
    std::vector<SourceRow> rows;
    std::string line;
    int lineno = 0;
    size_t columns = 0;  // 0 until the header: 4, or 5 with the symbol column
    while (std::getline(in, line)) {
        ++lineno;
        line = trim(line);
        if (line.empty()) continue;
        if (line[0] == '#') {
            if (description && description->empty()) *description = trim(line.substr(1));
            continue;
        }
        auto where = [&] { return origin + ":" + std::to_string(lineno) + ": "; };
        if (columns == 0) {
            if (line == "function,file,line,how") columns = 4;
            else if (line == "function,file,line,how,symbol") columns = 5;
            else
                return Error{where() + "expected the header 'function,file,line,how' (or with ',symbol'), found '" + line.substr(0, 60) +
                             "'"};
            continue;
        }
        auto f = split(line, ',');
        if (f.size() != columns)
            return Error{where() + "expected " + std::to_string(columns) + " fields, found " + std::to_string(f.size())};
        SourceRow r{f[0], f[1], 0, f[3], columns == 5 ? f[4] : ""};
        auto [p, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), r.line);
        if (ec != std::errc() || p != f[2].data() + f[2].size() || r.line < 1)
            return Error{where() + "line '" + f[2] + "' is not a positive integer"};
        if (r.function.empty() || r.function.find_first_of(" \t\"") != std::string::npos)
            return Error{where() + "'" + r.function + "' is not a function name"};
        if (r.file.empty()) return Error{where() + "no file for " + r.function};
        // An exact row is one symbol of the build: NAME@OBJECT:N.
        const bool exact = r.how == "exact";
        const size_t at = r.symbol.find('@'), colon = r.symbol.rfind(':');
        if (exact && (at == 0 || at == std::string::npos || colon == std::string::npos || colon < at + 2 || colon + 1 == r.symbol.size() ||
                      r.symbol.find_first_not_of("0123456789", colon + 1) != std::string::npos))
            return Error{where() + "an exact row needs its symbol as NAME@OBJECT:N, found '" + r.symbol + "'"};
        if (!exact && !r.symbol.empty()) return Error{where() + "only exact rows name a symbol ('" + r.symbol + "', how " + r.how + ")"};
        rows.push_back(std::move(r));
    }
    if (columns == 0) return Error{origin + " is empty or has no 'function,file,line,how' header"};
    if (rows.empty()) return Error{origin + " has a header but no functions"};
    return rows;
}

SourceMap::SourceMap(const std::vector<SourceRow>& rows, Maintainers maintainers, std::string description)
    : maintainers_(std::move(maintainers)), description_(std::move(description)) {
    for (const auto& r : rows) {
        if (r.how == "exact") {
            exact_[r.function].emplace_back(r.file, r.line);
            by_symbol_[r.symbol] = {r.file, r.line};
            by_raw_[r.symbol.substr(0, r.symbol.find('@'))].emplace_back(r.file, r.line);
            for (const char* entry : {"__x64_sys_", "__do_sys_", "__se_sys_"})
                if (r.symbol.rfind(entry, 0) == 0) native_[r.function].emplace_back(r.file, r.line);
            continue;
        }
        auto& defs = files_[r.function];
        auto it = std::find_if(defs.begin(), defs.end(), [&](const auto& d) { return d.first == r.file; });
        if (it == defs.end()) defs.emplace_back(r.file, r.line);
        else it->second = std::min(it->second, r.line);
    }
    for (auto& [fn, defs] : files_) {
        std::sort(defs.begin(), defs.end());
        for (const auto& [file, line] : defs) {
            lines_[file].push_back(line);
            order_[file].emplace_back(line, fn);
        }
    }
    for (auto& [file, fns] : order_) std::sort(fns.begin(), fns.end());
    for (auto& [file, lines] : lines_) {
        std::sort(lines.begin(), lines.end());
        lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
    }
}

size_t SourceMap::functions() const {
    size_t n = files_.size();
    for (const auto& [fn, defs] : exact_)
        if (!files_.count(fn)) ++n;
    return n;
}

SourceMap SourceMap::from_stored(const StoredSourceMap& stored) {
    std::istringstream in(stored.maintainers);
    return SourceMap(stored.rows, Maintainers::parse(in), stored.description);
}

const std::string& SourceMap::section(const std::string& file) const {
    auto it = sections_.find(file);
    if (it == sections_.end()) it = sections_.emplace(file, maintainers_.section_of(file)).first;
    return it->second.section;
}

SourceLocation SourceMap::located(std::vector<std::string> files, LocateBy method) const {
    SourceLocation loc;
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());
    if (files.empty()) {
        loc.section = loc.directory = kUnmapped;
        return loc;
    }
    loc.method = method;
    std::set<std::string> sections, directories;
    for (const auto& file : files) {
        const std::string& s = section(file);
        sections.insert(s.empty() ? kUnmapped : s);
        directories.insert(top_directory(file));
    }
    loc.files = std::move(files);
    loc.status = loc.files.size() == 1 ? SourceLocation::Status::Mapped : SourceLocation::Status::Ambiguous;
    // An ambiguous name still has a section when every file it is defined in
    // has the same one: that is known, not guessed.
    loc.section = sections.size() == 1 ? *sections.begin() : kAmbiguous;
    loc.directory = directories.size() == 1 ? *directories.begin() : kAmbiguous;
    return loc;
}

SourceLocation SourceMap::locate(const std::string& kind, const std::string& name, LocateBy by) const {
    // HAP_hc's names carry their kind: "hypercall:...", "exit_reason:svm:...".
    std::string k = kind, n = name;
    for (const char* prefix : {"hypercall:", "exit_reason:"})
        if (n.rfind(prefix, 0) == 0) {
            k = std::string(prefix, std::strlen(prefix) - 1);
            n = n.substr(std::strlen(prefix));
        }
    std::string function = n;
    if (k == "syscall") function = "sys_" + n;
    else if (k == "hypercall") function = "kvm_emulate_hypercall";
    else if (k == "exit_reason") function = n.rfind("svm:", 0) == 0 ? "svm_handle_exit" : "vmx_handle_exit";
    else if (k != "function") function.clear();
    auto files_of = [](const std::vector<std::pair<std::string, int64_t>>& defs) {
        std::vector<std::string> out;
        for (const auto& d : defs) out.push_back(d.first);
        return out;
    };
    if (by != LocateBy::Name) {
        if (k == "syscall")
            if (auto it = native_.find(function); it != native_.end()) return located(files_of(it->second), LocateBy::Exact);
        if (auto it = exact_.find(function); it != exact_.end()) return located(files_of(it->second), LocateBy::Exact);
    }
    if (by != LocateBy::Exact)
        if (auto it = files_.find(function); it != files_.end()) return located(files_of(it->second), LocateBy::Name);
    return located({}, LocateBy::Best);
}

SourceLocation SourceMap::locate_raw(const std::string& function, const std::vector<std::string>& raw, LocateBy by) const {
    if (by != LocateBy::Name) {
        std::vector<std::string> files;
        for (const auto& r : raw) {
            if (r.find('@') != std::string::npos) {
                if (auto it = by_symbol_.find(r); it != by_symbol_.end()) files.push_back(it->second.first);
            } else if (auto it = by_raw_.find(r); it != by_raw_.end()) {
                for (const auto& d : it->second) files.push_back(d.first);
            }
        }
        if (!files.empty()) return located(std::move(files), LocateBy::Exact);
    }
    return locate("function", function, by);
}

std::optional<size_t> SourceMap::position(const std::string& function) const {
    auto it = files_.find(function);
    if (it == files_.end() || it->second.size() != 1) return std::nullopt;
    const auto& [file, line] = it->second.front();
    const auto& lines = lines_.at(file);
    return static_cast<size_t>(std::lower_bound(lines.begin(), lines.end(), line) - lines.begin());
}

std::pair<std::string, std::string> SourceMap::neighbours(const std::string& function) const {
    auto it = files_.find(function);
    if (it == files_.end() || it->second.size() != 1) return {};
    const auto& [file, line] = it->second.front();
    const auto& fns = order_.at(file);
    std::pair<std::string, std::string> out;
    // Names on the same line (a syscall's entry points) are not neighbours.
    for (auto i = fns.begin(); i != fns.end() && i->first < line; ++i) out.first = i->second;
    for (auto i = fns.begin(); i != fns.end(); ++i)
        if (i->first > line) {
            out.second = i->second;
            break;
        }
    return out;
}

Expected<SourceMaps> load_source_maps(Store& store, const std::vector<std::string>& releases) {
    SourceMaps out;
    for (const auto& r : releases) {
        if (out.count(r)) continue;
        auto stored = store.source_map(r);
        if (!stored) return stored.error();
        if (*stored) out.emplace(r, SourceMap::from_stored(**stored));
    }
    return out;
}

SourceLocation locate_in(const std::vector<const SourceMap*>& maps, const std::string& kind, const std::string& name) {
    SourceLocation first;
    bool any = false;
    for (const SourceMap* m : maps) {
        if (!m) continue;
        auto loc = m->locate(kind, name);
        if (loc.status != SourceLocation::Status::Unmapped) return loc;
        if (!any) first = loc;
        any = true;
    }
    if (!any) first.section = first.directory = kUnmapped;
    return first;
}

const std::vector<std::string>& known_rename_suffixes() {
    static const std::vector<std::string> suffixes = {"_noprof"};
    return suffixes;
}

RenamePairs pair_renames(const std::vector<std::string>& removed, const std::vector<std::string>& added, const SourceMap* before,
                         const SourceMap* after) {
    RenamePairs out;
    std::set<std::string> paired_old, paired_new;
    if (before && after) {
        // A candidate is a name that maps to one file and was renamed, not
        // merely left unreached: the old name is gone from the new source
        // and the new name absent from the old one.
        auto file_of = [](const SourceMap& m, const std::string& n) -> std::optional<std::string> {
            auto loc = m.locate("function", n);
            if (loc.status != SourceLocation::Status::Mapped) return std::nullopt;
            return loc.files.front();
        };
        std::map<std::string, std::string> old_file, new_file;
        for (const auto& n : removed)
            if (auto f = file_of(*before, n); f && !after->defines(n)) old_file[n] = *f;
        for (const auto& n : added)
            if (auto f = file_of(*after, n); f && !before->defines(n)) new_file[n] = *f;
        auto pair = [&](const std::string& o, const std::string& n, const std::string& file, const std::string& rule) {
            auto it = new_file.find(n);
            if (it == new_file.end() || it->second != file || paired_old.count(o) || paired_new.count(n)) return;
            out.renamed.push_back(Rename{o, n, file, rule});
            paired_old.insert(o);
            paired_new.insert(n);
        };
        auto ends_with = [](const std::string& s, const std::string& x) {
            return s.size() > x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
        };
        for (const auto& [o, file] : old_file)
            for (const auto& suffix : known_rename_suffixes()) {
                pair(o, o + suffix, file, "suffix " + suffix);  // gained
                if (ends_with(o, suffix)) pair(o, o.substr(0, o.size() - suffix.size()), file, "suffix " + suffix);  // dropped
            }
        // Place pairs: every (old, new) that shares a neighbour, then only
        // those where each side has exactly one match, in either direction.
        std::vector<Rename> matches;
        std::map<std::string, int> per_old, per_new;
        for (const auto& [o, file] : old_file) {
            if (paired_old.count(o)) continue;
            const auto [before_o, after_o] = before->neighbours(o);
            for (const auto& [n, nfile] : new_file) {
                if (nfile != file || paired_new.count(n)) continue;
                const auto [before_n, after_n] = after->neighbours(n);
                std::string rule;
                if (!before_o.empty() && before_o == before_n) rule = "after " + before_o;
                else if (!after_o.empty() && after_o == after_n) rule = "before " + after_o;
                if (rule.empty()) continue;
                matches.push_back(Rename{o, n, file, rule});
                ++per_old[o];
                ++per_new[n];
            }
        }
        for (const auto& m : matches) {
            if (per_old[m.before] != 1 || per_new[m.after] != 1) continue;  // a choice hap would have to guess
            out.renamed.push_back(m);
            paired_old.insert(m.before);
            paired_new.insert(m.after);
        }
    }
    for (const auto& n : removed)
        if (!paired_old.count(n)) out.removed.push_back(n);
    for (const auto& n : added)
        if (!paired_new.count(n)) out.added.push_back(n);
    std::sort(out.renamed.begin(), out.renamed.end(), [](const Rename& a, const Rename& b) { return a.before < b.before; });
    return out;
}

}  // namespace hap
