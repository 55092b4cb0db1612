#include "load_command.h"

#include <cstdlib>
#include <regex>

#include "files.h"

namespace hap {
namespace {

// The last non-empty line of a command's output, for a one-line error.
std::string last_line(const CommandResult& r) {
    for (const std::string* s : {&r.err, &r.out}) {
        auto lines = split(trim(*s), '\n');
        for (auto it = lines.rbegin(); it != lines.rend(); ++it)
            if (!trim(*it).empty()) return trim(*it);
    }
    return "(no output)";
}

// How it ended: "exit 3", "timed out", "killed by signal 9".
std::string ended(const CommandResult& r) {
    return r.timed_out ? "timed out" : r.signal ? "killed by signal " + std::to_string(r.signal) : "exit " + std::to_string(r.exit_code);
}

std::string joined(const Argv& argv) {
    std::string s;
    for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
    return s;
}

}  // namespace

std::optional<double> read_throughput(const std::string& output, const std::string& pattern) {
    const std::regex re(pattern, std::regex::ECMAScript);
    std::optional<double> last;
    for (std::sregex_iterator it(output.begin(), output.end(), re), end; it != end; ++it) {
        if (it->size() < 2 || !(*it)[1].matched) continue;
        const std::string g = (*it)[1].str();
        char* stop = nullptr;
        const double v = std::strtod(g.c_str(), &stop);
        if (stop != g.c_str() && *stop == '\0') last = v;
    }
    return last;
}

LoadResult run_load_command(const LoadSpec& spec, const Endpoint& ep, std::chrono::seconds duration) {
    const Argv argv = expand_placeholders(spec.command, ep.address, ep.port, duration.count(), spec.concurrency);
    // `ip netns exec` would start and report a missing program as its own exit 1.
    if (!find_program(argv[0]))
        throw UserError("load command " + argv[0] + " cannot start: not found on this host", "install it, or fix load.command");
    RunOptions o;
    o.timeout = duration + std::chrono::seconds(120);
    const auto start = std::chrono::steady_clock::now();
    auto r = run_command(in_netns(ep.netns, argv), o);
    if (!r) throw UserError("load command " + argv[0] + " cannot start: " + r.error().describe(),
                            "install it on the host, or fix load.command");
    LoadResult res;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!r->succeeded())
        throw UserError("load command failed (" + ended(*r) + "): " + last_line(*r), "the command was: " + joined(argv));
    auto rate = read_throughput(r->out + "\n" + r->err, spec.throughput_pattern);
    if (!rate)
        throw UserError("the throughput cannot be read from the load's output: load.throughput '" + spec.throughput_pattern +
                            "' does not match (its last line: " + last_line(*r) + ")",
                        "the command was: " + joined(argv));
    res.throughput = *rate;
    res.unit = spec.unit;
    res.detail = joined(argv);
    return res;
}

void run_setup_step(const SetupStep& step, size_t index, const Endpoint& ep, std::chrono::seconds duration, int concurrency) {
    const Argv argv = expand_placeholders(step.command, ep.address, ep.port, duration.count(), concurrency);
    const std::string which = "setup step " + std::to_string(index + 1) + " (" + argv[0] + ")";
    if (!find_program(argv[0])) throw UserError(which + " cannot start: not found on this host", "install it, or fix the [[setup]] step");
    RunOptions o;
    o.timeout = std::chrono::seconds(step.timeout_s);
    auto r = run_command(in_netns(ep.netns, argv), o);
    if (!r) throw UserError(which + " cannot start: " + r.error().describe(), "install it on the host, or fix the [[setup]] step");
    if (!r->succeeded()) throw UserError(which + " failed (" + ended(*r) + "): " + last_line(*r), "the command was: " + joined(argv));
}

}  // namespace hap
