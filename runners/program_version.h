// Versions of the programs a run depends on (runtimes, engines, QEMU), as
// each prints its own, stored with every run so that figures from two
// releases are never mistaken for one.
#pragma once

#include <string>

#include "process.h"

namespace hap {

// The version in the first line `argv` prints (stdout, else stderr), with
// the program's name and the word "version" dropped: "runc version 1.1.5"
// -> "1.1.5", "QEMU emulator version 7.2.19 (Debian ...)" -> "7.2.19 (Debian ...)".
// "" when the program does not run or exits non-zero (never throws).
std::string program_version(const Argv& argv);

// The same, from text already read (tests).
std::string version_from_text(const std::string& text);

}  // namespace hap
