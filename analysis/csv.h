// RFC 4180 CSV: fields with commas, quotes or newlines are quoted.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace hap {

std::string csv_field(const std::string& s);
void write_csv_row(std::ostream& out, const std::vector<std::string>& fields);

}  // namespace hap
