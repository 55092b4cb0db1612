// Live tests run on this host as root. A case that cannot run here calls
// skip("why"): the reason is printed and the process exits 77, which CTest
// reports as skipped (each case is its own CTest entry), never as passed.
#define CATCH_CONFIG_RUNNER
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>

#include "live_support.h"

namespace live {
std::string g_skip_reason;
void skip(const std::string& why) {
    g_skip_reason = why;
    throw Skipped{};
}
}  // namespace live

int main(int argc, char** argv) {
    if (::geteuid() != 0) {
        std::printf("SKIP: live tests need root (tracefs, container runtimes)\n");
        return 77;
    }
    int failed = Catch::Session().run(argc, argv);
    if (!live::g_skip_reason.empty()) {
        std::printf("SKIP: %s\n", live::g_skip_reason.c_str());
        return failed > 1 ? 1 : 77;  // the Skipped exception itself counts as one failure
    }
    return failed;
}
