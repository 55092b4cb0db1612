#include "loss_counter.h"

#include "files.h"

namespace hap {

LossCounts parse_cpu_stats(const std::string& text) {
    LossCounts c;
    for (const auto& line : split(text, '\n')) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string key = trim(line.substr(0, colon));
        uint64_t value = 0;
        try {
            value = std::stoull(trim(line.substr(colon + 1)));
        } catch (...) {
            continue;  // "oldest event ts:  1234.5678" and the like
        }
        if (key == "overrun") c.overrun += value;
        else if (key == "dropped events") c.dropped += value;
        else if (key == "commit overrun") c.commit_overrun += value;
    }
    return c;
}

LossCounts read_loss_counters(const std::string& instance_dir) {
    LossCounts sum;
    for (const auto& cpu : list_dir(instance_dir + "/per_cpu")) {
        auto text = read_file(instance_dir + "/per_cpu/" + cpu + "/stats");
        if (!text) continue;
        LossCounts c = parse_cpu_stats(*text);
        sum.overrun += c.overrun;
        sum.dropped += c.dropped;
        sum.commit_overrun += c.commit_overrun;
    }
    return sum;
}

LossCounts operator-(const LossCounts& a, const LossCounts& b) {
    auto d = [](uint64_t x, uint64_t y) { return x >= y ? x - y : 0; };
    return {d(a.overrun, b.overrun), d(a.dropped, b.dropped), d(a.commit_overrun, b.commit_overrun)};
}

}  // namespace hap
