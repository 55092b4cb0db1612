// Left/right-aligned plain-text tables for terminal output.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace hap::cli {

class TextTable {
public:
    explicit TextTable(std::vector<std::string> header) : header_(std::move(header)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    void print(std::ostream& out) const;  // numbers right-aligned, text left-aligned

private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace hap::cli
