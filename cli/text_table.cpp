#include "text_table.h"

#include <algorithm>
#include <cctype>

namespace hap::cli {
namespace {
bool numeric(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isdigit(c) || c == '.' || c == '-' || c == '%';
    });
}
}  // namespace

void TextTable::print(std::ostream& out) const {
    std::vector<size_t> w(header_.size(), 0);
    for (size_t i = 0; i < header_.size(); ++i) w[i] = header_[i].size();
    for (const auto& r : rows_)
        for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], r[i].size());
    auto line = [&](const std::vector<std::string>& r, bool head) {
        for (size_t i = 0; i < w.size(); ++i) {
            const std::string cell = i < r.size() ? r[i] : "";
            const std::string pad(w[i] - cell.size(), ' ');
            out << (i ? "  " : "") << (!head && numeric(cell) ? pad + cell : cell + (i + 1 < w.size() ? pad : ""));
        }
        out << "\n";
    };
    line(header_, true);
    for (const auto& r : rows_) line(r, false);
}

}  // namespace hap::cli
