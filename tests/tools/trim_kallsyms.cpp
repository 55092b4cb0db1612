// Shrinks a recorded capture's kallsyms (4-8 MB) to the lines its records
// name, so a function-level capture fits in tests/fixtures:
//   trim_kallsyms DIR > DIR/kallsyms.trimmed
// A function record carries the traced function's start address (6.1), or
// the address of its fentry call, 4 bytes in after ENDBR64 (Debian's 6.12,
// built with IBT): the line kept is that of the function containing it, as
// Kallsyms::lookup chooses (the first name listed at the greatest address
// not above it, never a __pfx_ padding symbol), plus that function's
// `__pfx_` line where the kernel has one, so the fixture shows the padding a
// replay must pass over. Every function that shares a kept function's name
// is kept too, so same-named functions are numbered as on the traced kernel.
// An address below every symbol fails the tool.
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <vector>
#include <string>

#include "files.h"
#include "replay_source.h"

using namespace hap;

namespace {

struct Addresses : EventSink {
    std::set<uint64_t> seen;
    void on_event(const TraceEvent& ev) override {
        if (ev.kind == EventKind::FunctionEntry || ev.kind == EventKind::FuncGraphEntry)
            seen.insert(static_cast<uint64_t>(ev.a));
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: trim_kallsyms CAPTURE_DIR > TRIMMED\n");
        return 2;
    }
    const std::string dir = argv[1];
    auto src = ReplaySource::open(dir);
    if (!src) {
        std::fprintf(stderr, "trim_kallsyms: %s\n", src.error().describe().c_str());
        return 1;
    }
    Addresses sink;
    (*src)->drain(sink);
    auto text = read_file(dir + "/kallsyms");
    if (!text) {
        std::fprintf(stderr, "trim_kallsyms: %s\n", text.error().describe().c_str());
        return 1;
    }
    struct Line {
        uint64_t addr;
        std::string name, text;
    };
    std::vector<Line> lines;  // text symbols in file order
    size_t at = 0;
    while (at < text->size()) {
        size_t nl = text->find('\n', at);
        if (nl == std::string::npos) nl = text->size();
        std::string line = text->substr(at, nl - at);
        at = nl + 1;
        char* rest = nullptr;
        const uint64_t addr = std::strtoull(line.c_str(), &rest, 16);
        while (*rest == ' ') ++rest;
        if (!(*rest == 't' || *rest == 'T' || *rest == 'w' || *rest == 'W')) continue;
        ++rest;
        while (*rest == ' ') ++rest;
        std::string name(rest, std::strcspn(rest, " \t"));
        lines.push_back({addr, std::move(name), std::move(line)});
    }
    auto padding = [](const std::string& n) { return n.rfind("__pfx_", 0) == 0 || n.rfind("__cfi_", 0) == 0; };
    std::vector<size_t> order;  // functions by address, the first listed first at one address
    for (size_t i = 0; i < lines.size(); ++i)
        if (!padding(lines[i].name)) order.push_back(i);
    std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return lines[x].addr < lines[y].addr; });
    std::map<std::string, size_t> pfx_of;  // function name -> its __pfx_ line
    for (size_t i = 0; i < lines.size(); ++i)
        if (lines[i].name.rfind("__pfx_", 0) == 0) pfx_of.emplace(lines[i].name.substr(6), i);
    std::set<size_t> keep;
    size_t missing = 0, functions = 0;
    for (uint64_t a : sink.seen) {
        auto it = std::upper_bound(order.begin(), order.end(), a, [&](uint64_t v, size_t i) { return v < lines[i].addr; });
        if (it == order.begin()) {
            std::fprintf(stderr, "trim_kallsyms: no kallsyms line at or below 0x%llx\n", static_cast<unsigned long long>(a));
            ++missing;
            continue;
        }
        auto f = std::prev(it);
        while (f != order.begin() && lines[*std::prev(f)].addr == lines[*f].addr) --f;
        if (keep.insert(*f).second) ++functions;
        if (auto p = pfx_of.find(lines[*f].name); p != pfx_of.end() && lines[p->second].addr + 16 == lines[*f].addr)
            keep.insert(p->second);
    }
    // Every other function of a kept name too: Kallsyms::lookup numbers
    // same-named functions (NAME@vmlinux:2), and the number counts them all.
    std::set<std::string> kept_names;
    for (size_t i : keep)
        if (!padding(lines[i].name)) kept_names.insert(lines[i].name);
    for (size_t i = 0; i < lines.size(); ++i)
        if (kept_names.count(lines[i].name)) keep.insert(i);
    for (size_t i : keep) std::printf("%s\n", lines[i].text.c_str());  // file order
    std::fprintf(stderr, "trim_kallsyms: %zu function addresses, %zu functions, %zu lines kept\n", sink.seen.size(),
                 functions, keep.size());
    return missing ? 1 : 0;
}
