#include "load_command.h"

#include <cstdlib>
#include <regex>

#include "files.h"

namespace hap {
namespace {

// The last line the command printed, stderr first, for a one-line error.
std::string last_output_line(const CommandResult& r) {
    for (const std::string* s : {&r.err, &r.out})
        if (std::string l = last_line(*s); !l.empty()) return l;
    return "(no output)";
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
        throw UserError("load command failed (" + r->ended() + "): " + last_output_line(*r), "the command was: " + join(argv, " "));
    auto rate = read_throughput(r->out + "\n" + r->err, spec.throughput_pattern);
    if (!rate)
        throw UserError("the throughput cannot be read from the load's output: load.throughput '" + spec.throughput_pattern +
                            "' does not match (its last line: " + last_output_line(*r) + ")",
                        "the command was: " + join(argv, " "));
    res.throughput = *rate;
    res.unit = spec.unit;
    res.detail = join(argv, " ");
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
    if (!r->succeeded()) throw UserError(which + " failed (" + r->ended() + "): " + last_output_line(*r), "the command was: " + join(argv, " "));
}

}  // namespace hap
