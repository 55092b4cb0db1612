// hapctl: measure the Horizontal Attack Profile of container isolation systems.
#include <algorithm>
#include <cstring>
#include <iostream>

#include "command.h"
#include "error.h"
#include "interrupt.h"

namespace {

void usage(std::ostream& out) {
    out << "usage: hapctl <command> [options]   (hapctl <command> --help for its options)\n\ncommands:\n";
    size_t width = 0;
    for (const auto& c : hap::cli::commands()) width = std::max(width, std::strlen(c.name));
    for (const auto& c : hap::cli::commands())
        out << "  " << c.name << std::string(width + 2 - std::strlen(c.name), ' ') << c.summary << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        usage(std::cerr);
        return hap::kExitUsage;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        usage(std::cout);
        return hap::kExitOk;
    }
    if (name == "--version") {
        std::cout << "hapctl " << HAP_VERSION << "\n";
        return hap::kExitOk;
    }
    hap::install_interrupt_handlers();
    for (const auto& c : hap::cli::commands()) {
        if (name != c.name) continue;
        try {
            return c.run(std::vector<std::string>(argv + 2, argv + argc));
        } catch (const hap::UserError& e) {
            std::cerr << "hapctl " << name << ": " << e.what() << "\n";
            if (!e.hint().empty()) std::cerr << "hint: " << e.hint() << "\n";
            return e.exit_code();
        } catch (const std::exception& e) {
            std::cerr << "hapctl " << name << ": internal error: " << e.what() << "\n";
            return hap::kExitFailure;
        }
    }
    std::cerr << "hapctl: unknown command '" << name << "'\nhint: `hapctl --help` lists the commands\n";
    return hap::kExitUsage;
}
