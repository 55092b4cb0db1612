// File -> subsystem, from a kernel's own MAINTAINERS (issue 23). A section is
// a title line followed by "X: value" lines up to a blank line; F: and X:
// are path patterns, N: a regex over the path. The matching rules are the
// kernel's (MAINTAINERS' header, scripts/get_maintainer.pl):
//   - a pattern ending in '/' is the directory and everything below it; a
//     pattern without wildcards that names a directory is read the same way;
//   - otherwise the pattern matches files at its own depth: '*' and '?' do
//     not cross '/' ("drivers/net/*": in drivers/net, not below);
//   - a section whose X: pattern matches the file does not match it.
// Which section a file belongs to, when several match:
//   1. the most specific match wins, measured as get_maintainer.pl orders its
//      matches: the pattern's depth, its count of '/' plus one when it does
//      not end in '/' (a file or a glob over files is deeper than its
//      directory); a pattern that starts with '*' counts -1, an N: match 0;
//   2. tie rule: among equally deep matches, the pattern with more literal
//      characters (not '*' or '?') wins ("kernel/fork.c" over "kernel/f*");
//      still tied, the section that comes first in MAINTAINERS wins, which
//      is its alphabetical order, so the answer never depends on a map's
//      iteration order;
//   3. "THE REST" (F: * and */) only when no other section matches.
#pragma once

#include <istream>
#include <regex>
#include <string>
#include <vector>

namespace hap {

inline constexpr const char* kRestSection = "THE REST";

struct MaintainersPattern {
    char type = 'F';       // F, X or N
    std::string text;      // as written
    std::regex regex;      // N: only
};

struct MaintainersSection {
    std::string name;
    std::vector<MaintainersPattern> patterns;
};

struct SectionMatch {
    std::string section;  // empty: nothing matched, not even THE REST
    std::string pattern;  // the pattern that decided
    int depth = 0;
};

class Maintainers {
public:
    // Reads the sections after the "Maintainers List" heading (the whole
    // text when it has none). N: regexes that do not compile as ECMAScript
    // are left out and counted.
    static Maintainers parse(std::istream& in);

    SectionMatch section_of(const std::string& file) const;
    size_t size() const { return sections_.size(); }
    int unreadable_regexes() const { return bad_regexes_; }

private:
    std::vector<MaintainersSection> sections_;
    int bad_regexes_ = 0;
};

// The second level: the file's top directories, two deep ("net/ipv4",
// "fs/ext4", "kernel"), three under arch/ ("arch/x86/kvm").
std::string top_directory(const std::string& file);

}  // namespace hap
