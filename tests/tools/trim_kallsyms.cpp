// Shrinks a recorded capture's kallsyms (4-6 MB) to the lines its records
// name, so a function-level capture fits in tests/fixtures:
//   trim_kallsyms DIR > DIR/kallsyms.trimmed
// function and function_graph records carry the traced function's start
// address, so keeping the exact lines keeps every name a replay gives. An
// address without an exact line is reported and the tool fails: then the
// trimmed file would name it differently.
#include <cstdio>
#include <cstdlib>
#include <set>
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
    std::set<uint64_t> kept;
    size_t at = 0;
    while (at < text->size()) {
        size_t nl = text->find('\n', at);
        if (nl == std::string::npos) nl = text->size();
        const std::string line = text->substr(at, nl - at);
        at = nl + 1;
        char* rest = nullptr;
        const uint64_t addr = std::strtoull(line.c_str(), &rest, 16);
        while (*rest == ' ') ++rest;
        const bool text_symbol = *rest == 't' || *rest == 'T' || *rest == 'w' || *rest == 'W';
        if (text_symbol && sink.seen.count(addr) && !kept.count(addr)) {  // the first name at an address, as lookup keeps
            std::printf("%s\n", line.c_str());
            kept.insert(addr);
        }
    }
    size_t missing = 0;
    for (uint64_t a : sink.seen)
        if (!kept.count(a)) {
            std::fprintf(stderr, "trim_kallsyms: no kallsyms line at 0x%llx\n", static_cast<unsigned long long>(a));
            ++missing;
        }
    std::fprintf(stderr, "trim_kallsyms: %zu function addresses, %zu lines kept\n", sink.seen.size(), kept.size());
    return missing ? 1 : 0;
}
