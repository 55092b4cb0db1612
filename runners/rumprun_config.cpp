#include "rumprun_config.h"

#include <nlohmann/json.hpp>

namespace hap {

std::string rumprun_json(const RumprunConfig& c) {
    using nlohmann::json;
    auto str = [](const std::string& s) { return json(s).dump(); };
    std::string cmdline;
    for (const auto& a : c.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
    // Built by hand: nlohmann's objects cannot hold the repeated "env" keys.
    std::string out = "{";
    for (const auto& e : c.env) out += "\"env\":" + str(e) + ",";
    out += "\"cmdline\":" + str(cmdline);
    const nlohmann::ordered_json net = {{"if", "ukvmif0"}, {"cloner", "True"}, {"type", "inet"},   {"method", "static"},
                      {"addr", c.addr},  {"mask", std::to_string(c.mask_bits == 32 ? 1 : c.mask_bits)}, {"gw", c.gw}};
    // In runnc's order (its Go struct's): what the real unikernels were run with.
    out += ",\"net\":" + net.dump();
    if (c.root_disk)
        out += ",\"blk\":{\"source\":\"etfs\",\"path\":\"/dev/ld0a\",\"fstype\":\"blk\",\"mountpoint\":\"/\"}";
    if (!c.cwd.empty()) out += ",\"cwd\":" + str(c.cwd);
    return out + "}";
}

}  // namespace hap
