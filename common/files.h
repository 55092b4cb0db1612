// Small file helpers that report failures as values instead of throwing.
#pragma once

#include <string>
#include <vector>

#include "error.h"

namespace hap {

Expected<std::string> read_file(const std::string& path);
// Writes the whole string; the kernel reports tracefs errors on write(), so the
// caller sees EINVAL/EPERM/ENODEV from the file itself.
Status write_file(const std::string& path, const std::string& data);
bool path_exists(const std::string& path);
std::vector<std::string> list_dir(const std::string& path);  // names, no . or ..
Status make_dirs(const std::string& path);
std::string trim(std::string s);
std::vector<std::string> split(const std::string& s, char sep);
// The last non-empty line of `text`, trimmed; a \r ends a line too (a serial
// console's \r\n, a progress line rewritten in place). "" when there is none.
std::string last_line(const std::string& text);
// The last line of `text` that starts with `prefix` once trimmed; "" when none.
std::string last_line_starting(const std::string& text, const std::string& prefix);
// last_line of a file, "" when it cannot be read: for quoting a log in an error.
std::string last_line_of_file(const std::string& path);

}  // namespace hap

namespace hap {
// O_APPEND write: tracefs pid files add ids this way instead of replacing them.
Status append_file(const std::string& path, const std::string& data);
}  // namespace hap
