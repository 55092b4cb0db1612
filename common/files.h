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

}  // namespace hap

namespace hap {
// O_APPEND write: tracefs pid files add ids this way instead of replacing them.
Status append_file(const std::string& path, const std::string& data);
}  // namespace hap
