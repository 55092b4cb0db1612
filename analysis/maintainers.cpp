#include "maintainers.h"

#include <fnmatch.h>

#include <algorithm>

namespace hap {
namespace {

bool has_wildcard(const std::string& s) { return s.find_first_of("*?[") != std::string::npos; }

size_t slashes(const std::string& s) { return static_cast<size_t>(std::count(s.begin(), s.end(), '/')); }

// The file's first `n` path components; false when it has no more than n (a
// directory pattern needs something below it).
bool leading_components(const std::string& file, size_t n, std::string& out) {
    size_t pos = 0;
    for (size_t i = 0; i < n; ++i) {
        pos = file.find('/', pos);
        if (pos == std::string::npos) return false;
        ++pos;
    }
    out = file.substr(0, pos - 1);
    return true;
}

constexpr int kNoMatch = -2;

// kNoMatch, or the pattern's depth as get_maintainer.pl ranks it (value_pd):
// its count of '/' plus one when it does not end in '/', which for both
// "net/ipv4/" and "net/ipv4/tcp.c" is the stem's count plus one; -1 for a
// pattern that starts with '*' (THE REST's "*" and "*/").
int path_match(const std::string& pattern, const std::string& file) {
    if (pattern.empty()) return kNoMatch;
    const bool directory = pattern.back() == '/';
    const std::string stem = directory ? pattern.substr(0, pattern.size() - 1) : pattern;
    const int depth = pattern.front() == '*' ? -1 : static_cast<int>(slashes(stem)) + 1;
    if (stem.empty()) return directory ? depth : kNoMatch;  // "/": everything
    // A directory pattern (or a plain name that is a directory, as
    // get_maintainer.pl's -d test reads it): the file lies below it.
    if (directory || !has_wildcard(stem)) {
        std::string head;
        if (leading_components(file, slashes(stem) + 1, head) && fnmatch(stem.c_str(), head.c_str(), FNM_PATHNAME) == 0)
            return depth;
        if (directory) return kNoMatch;
    }
    // Files at the pattern's own depth: '*' and '?' never cross '/'.
    if (slashes(stem) == slashes(file) && fnmatch(stem.c_str(), file.c_str(), FNM_PATHNAME) == 0) return depth;
    return kNoMatch;
}

}  // namespace

Maintainers Maintainers::parse(std::istream& in) {
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        lines.push_back(std::move(line));
    }
    size_t start = 0;
    for (size_t i = 0; i + 1 < lines.size(); ++i)
        if (lines[i] == "Maintainers List" && lines[i + 1].rfind("---", 0) == 0) {
            start = i + 2;
            break;
        }
    Maintainers m;
    MaintainersSection* current = nullptr;
    for (size_t i = start; i < lines.size(); ++i) {
        const std::string& line = lines[i];
        if (line.empty() || line.find_first_not_of(" \t") == std::string::npos) {
            current = nullptr;
            continue;
        }
        const bool typed = line.size() >= 2 && line[1] == ':' && line[0] >= 'A' && line[0] <= 'Z';
        if (!typed) {
            if (!current) {
                m.sections_.push_back(MaintainersSection{line, {}});
                current = &m.sections_.back();
            }
            continue;  // a second untyped line (a wrapped title) adds nothing
        }
        if (!current) continue;
        const char type = line[0];
        if (type != 'F' && type != 'X' && type != 'N') continue;
        std::string value = line.substr(2);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t") + 1);
        if (value.empty()) continue;
        MaintainersPattern p{type, value, {}};
        if (type == 'N') {
            try {
                p.regex = std::regex(value, std::regex::ECMAScript | std::regex::optimize);
            } catch (const std::regex_error&) {
                ++m.bad_regexes_;
                continue;
            }
        }
        current->patterns.push_back(std::move(p));
    }
    return m;
}

SectionMatch Maintainers::section_of(const std::string& file) const {
    SectionMatch best, rest;
    int best_literal = -1;
    for (const auto& s : sections_) {
        bool excluded = false;
        for (const auto& p : s.patterns)
            if (p.type == 'X' && path_match(p.text, file) != kNoMatch) excluded = true;
        if (excluded) continue;
        int depth = kNoMatch, literal = -1;
        std::string which;
        for (const auto& p : s.patterns) {
            int d = kNoMatch;
            if (p.type == 'F') d = path_match(p.text, file);
            else if (p.type == 'N' && std::regex_search(file, p.regex)) d = 0;
            if (d == kNoMatch) continue;
            const int lit = static_cast<int>(std::count_if(p.text.begin(), p.text.end(), [](char c) { return c != '*' && c != '?'; }));
            if (d > depth || (d == depth && lit > literal)) {
                depth = d;
                literal = lit;
                which = p.text;
            }
        }
        if (depth == kNoMatch) continue;
        if (s.name == kRestSection) {
            rest = SectionMatch{s.name, which, depth};
            continue;
        }
        // Strictly better only: an equal match of a later section loses (tie rule 2).
        if (best.section.empty() || depth > best.depth || (depth == best.depth && literal > best_literal)) {
            best = SectionMatch{s.name, which, depth};
            best_literal = literal;
        }
    }
    return best.section.empty() ? rest : best;
}

std::string top_directory(const std::string& file) {
    const size_t levels = file.rfind("arch/", 0) == 0 ? 3 : 2;
    const size_t last = file.rfind('/');
    if (last == std::string::npos) return ".";
    const std::string dir = file.substr(0, last);
    size_t pos = 0;
    for (size_t i = 0; i < levels; ++i) {
        pos = dir.find('/', pos);
        if (pos == std::string::npos) return dir;
        if (i + 1 < levels) ++pos;
    }
    return dir.substr(0, pos);
}

}  // namespace hap
