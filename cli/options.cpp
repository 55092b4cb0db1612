#include "options.h"

#include <climits>
#include <cstdlib>
#include <iostream>

#include "files.h"
#include "nabla_image.h"

#include "error.h"

namespace hap::cli {

bool parse_options(const std::string& command, const std::string& usage, po::options_description& desc,
                   const std::vector<std::string>& args, po::variables_map& vm,
                   const po::positional_options_description* positional) {
    desc.add_options()("help,h", "show this help");
    try {
        po::command_line_parser parser(args);
        parser.options(desc);
        if (positional) parser.positional(*positional);
        po::store(parser.run(), vm);
        if (vm.count("help")) {
            std::cout << "usage: hapctl " << command << " " << usage << "\n\n" << desc << "\n";
            return false;
        }
        po::notify(vm);
    } catch (const po::error& e) {
        throw UserError(std::string(e.what()), "see `hapctl " + command + " --help`", kExitUsage);
    }
    return true;
}

std::string default_db_path() {
    const char* env = std::getenv("HAP_DB");
    return env && *env ? env : "hap.db";
}

std::string joined(const std::vector<std::string>& names) { return join(names, ", "); }

std::vector<std::string> absolute_nabla_images(const std::vector<std::string>& values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
        auto [workload, spec] = split_nabla_image_value(v);
        char buf[PATH_MAX];
        if (::realpath(spec.c_str(), buf)) spec = buf;
        out.push_back(workload.empty() ? spec : workload + "=" + spec);
    }
    return out;
}

}  // namespace hap::cli
