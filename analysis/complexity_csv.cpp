#include "complexity_csv.h"

#include <charconv>

#include "csv.h"
#include "files.h"

namespace hap {

Expected<std::vector<std::pair<std::string, int64_t>>> parse_complexity_csv(std::istream& in, const std::string& name) {
    std::vector<std::pair<std::string, int64_t>> rows;
    std::string line;
    int lineno = 0;
    bool header = false;
    while (std::getline(in, line)) {
        ++lineno;
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        auto where = [&] { return name + ":" + std::to_string(lineno) + ": "; };
        if (!header) {
            if (line != "function,complexity")
                return Error{where() + "expected the header 'function,complexity', found '" + line.substr(0, 60) + "'"};
            header = true;
            continue;
        }
        auto comma = line.rfind(',');
        if (comma == std::string::npos || comma == 0) return Error{where() + "expected 'function,complexity'"};
        std::string fn = line.substr(0, comma), num = line.substr(comma + 1);
        int64_t cc = -1;
        auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), cc);
        if (ec != std::errc() || p != num.data() + num.size() || cc < 0)
            return Error{where() + "complexity '" + num + "' is not a non-negative integer"};
        if (fn.find_first_of(" \t\",") != std::string::npos) return Error{where() + "'" + fn + "' is not a function name"};
        rows.emplace_back(fn, cc);
    }
    if (!header) return Error{name + " is empty or has no 'function,complexity' header"};
    if (rows.empty()) return Error{name + " has a header but no functions"};
    return rows;
}

void write_complexity_csv(std::ostream& out, const std::map<std::string, int64_t>& table) {
    write_csv_row(out, {"function", "complexity"});
    for (const auto& [fn, cc] : table) write_csv_row(out, {fn, std::to_string(cc)});
}

}  // namespace hap
