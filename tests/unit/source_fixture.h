// The source-map fixtures (tests/fixtures/sources): excerpts of a real
// by-name table, an exact table and MAINTAINERS of Debian 6.1, read the same
// way by every test of where functions live (issue 23).
#pragma once

#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "maintainers.h"
#include "source_map.h"

namespace hap::test {

inline const std::string kSourcesDir = std::string(HAP_FIXTURES) + "/sources/";

inline std::string slurp(const std::string& path) {
    std::ifstream in(path);
    REQUIRE(in);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

inline Maintainers maintainers_61() {
    std::ifstream in(kSourcesDir + "MAINTAINERS-6.1-excerpt");
    REQUIRE(in);
    return Maintainers::parse(in);
}

// The rows of a table under tests/fixtures/sources; `description` gets its first comment line.
inline std::vector<SourceRow> rows_of(const std::string& file, std::string* description = nullptr) {
    std::ifstream in(kSourcesDir + file);
    REQUIRE(in);
    auto rows = parse_source_csv(in, file, description);
    REQUIRE(rows.ok());
    return *rows;
}

}  // namespace hap::test
