// The complexity table file of `hapctl complexity import|export` and
// scripts/complexity/build-table: CSV with the header "function,complexity",
// one normalised kernel function name and its McCabe cyclomatic complexity a
// row. Lines starting with '#' are comments (the script records its source).
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "error.h"

namespace hap {

// Fails on the first malformed line, naming it; an empty table is an error.
Expected<std::vector<std::pair<std::string, int64_t>>> parse_complexity_csv(std::istream& in, const std::string& name);
void write_complexity_csv(std::ostream& out, const std::map<std::string, int64_t>& table);

}  // namespace hap
