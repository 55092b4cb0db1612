#pragma once

#include <string>

namespace live {
struct Skipped {};
[[noreturn]] void skip(const std::string& why);
}  // namespace live
