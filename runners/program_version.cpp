#include "program_version.h"

#include "files.h"

namespace hap {

std::string version_from_text(const std::string& text) {
    std::string line = trim(text.substr(0, text.find('\n')));
    if (auto at = line.find("version "); at != std::string::npos) line = line.substr(at + 8);
    return trim(line);
}

std::string program_version(const Argv& argv) {
    RunOptions o;
    o.timeout = std::chrono::seconds(10);
    auto r = run_command(argv, o);
    if (!r || !r->succeeded()) return "";
    return version_from_text(trim(r->out).empty() ? trim(r->err) : trim(r->out));
}

}  // namespace hap
