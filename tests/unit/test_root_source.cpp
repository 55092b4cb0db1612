// A workload's image, tarball or directory root is checked before anything
// starts (runners/root_source.h): a missing path, an unreadable image and an
// image for another architecture are each one error naming the file, line
// and field (exit 2); a good image gives its config digest. The images are
// two real OCI layouts without layers (tests/fixtures/images/README.md),
// read by skopeo.
#include <catch2/catch.hpp>

#include "files.h"
#include "process.h"
#include "root_source.h"
#include "workload_spec.h"

using namespace hap;

namespace {

std::string fixture(const std::string& rel) { return std::string(HAP_FIXTURES) + "/" + rel; }

WorkloadSpec with_root(const std::string& root_line) {
    return parse_workload_spec(R"(name = "pg"
[root]
)" + root_line + R"(
[service]
command = ["/bin/sleep", "60"]
port = 5432
[ready]
probe = "tcp"
[load]
command = ["true"]
throughput = '([0-9]+)'
unit = "x/s"
)",
                               fixture("images/pg.toml"));
}

std::pair<std::string, int> error_of(const WorkloadSpec& spec) {
    try {
        (void)inspect_root_source(spec);
    } catch (const UserError& e) {
        return {e.what(), e.exit_code()};
    }
    return {"(no error)", 0};
}

}  // namespace

TEST_CASE("a root that does not exist is one error naming file, line and field", "[workload][image]") {
    for (const std::string line : {"image = \"docker-archive:missing.tar\"", "image = \"oci:missing.oci:15\"",
                                   "tarball = \"missing.tar\"", "directory = \"missing\""}) {
        auto [msg, code] = error_of(with_root(line));
        CHECK(code == kExitUsage);
        const std::string field = line.substr(0, line.find(' '));
        CHECK(msg.rfind(fixture("images/pg.toml") + ":3: root." + field + ": " + fixture("images/missing"), 0) == 0);
        CHECK(msg.find("does not exist") != std::string::npos);
    }
}

TEST_CASE("an image root is read by skopeo: its digest, and another architecture refused", "[workload][image]") {
    if (!find_program("skopeo")) FAIL("skopeo is not installed (scripts/setup installs it)");
    SECTION("an image for this host gives its config digest") {
        auto facts = inspect_root_source(with_root("image = \"oci:amd64.oci:empty\""));
        if (host_image_architecture() != "amd64") return;  // the fixture is amd64's
        CHECK(facts.architecture == "amd64");
        CHECK(facts.os == "linux");
        // The config blob's own name in the layout is its sha256.
        CHECK(path_exists(fixture("images/amd64.oci/blobs/sha256/" + facts.key)));
    }
    SECTION("an image for another architecture") {
        auto [msg, code] = error_of(with_root("image = \"oci:arm64.oci:empty\""));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind(fixture("images/pg.toml") + ":3: root.image: image oci:" + fixture("images/arm64.oci:empty") +
                            " is for arm64, and this host runs " + host_image_architecture(),
                        0) == 0);
    }
    SECTION("a tag the layout does not have") {
        auto [msg, code] = error_of(with_root("image = \"oci:amd64.oci:15\""));
        CHECK(code == kExitUsage);
        CHECK(msg.rfind(fixture("images/pg.toml") + ":3: root.image: cannot read image oci:", 0) == 0);
    }
    SECTION("a directory that is a file") {
        auto [msg, code] = error_of(with_root("directory = \"README.md\""));
        CHECK(msg.find("root.directory: " + fixture("images/README.md") + " is not a directory") != std::string::npos);
    }
}
