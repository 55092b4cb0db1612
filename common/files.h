// Small file helpers that report failures as values instead of throwing.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "error.h"

namespace hap {

// Every read and write here is bounded (issue 12: never hang on the kernel).
// Files are opened O_NONBLOCK; where the other side can make a call wait (a
// FIFO or pipe nobody reads or writes, tracefs's trace_pipe with nothing in
// it), the wait is a poll() of at most `wait` in all, then an error naming the
// file and the wait. A FIFO without a reader refuses the write at open
// (ENXIO). Files that never wait (tracefs knobs, /proc, regular files) behave
// as plain read()/write(). A write the kernel answers with 0 ends (Linux
// 5.10's set_event_pid took a lone "\n" that way, and was once written again
// for ever).
inline constexpr std::chrono::milliseconds kFileWait{10000};
Expected<std::string> read_file(const std::string& path, std::chrono::milliseconds wait = kFileWait);
// Writes the whole string; the kernel reports tracefs errors on write(), so the
// caller sees EINVAL/EPERM/ENODEV from the file itself.
Status write_file(const std::string& path, const std::string& data, std::chrono::milliseconds wait = kFileWait);
bool path_exists(const std::string& path);
std::vector<std::string> list_dir(const std::string& path);  // names, no . or ..
Status make_dirs(const std::string& path);
std::string trim(std::string s);
std::vector<std::string> split(const std::string& s, char sep);
// The parts with `sep` between them (split's inverse for one-character seps).
std::string join(const std::vector<std::string>& parts, const std::string& sep);
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
Status append_file(const std::string& path, const std::string& data, std::chrono::milliseconds wait = kFileWait);
}  // namespace hap
