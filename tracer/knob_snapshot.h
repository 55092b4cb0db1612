// Every tracefs file hap writes outside its own instance is saved first and
// written back on every exit path. The saved values are also kept in a state
// file, so the next hap start restores them after a SIGKILL.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "error.h"

namespace hap {

class KnobSnapshot {
public:
    // state_path: where the saved values are persisted ("" = memory only).
    explicit KnobSnapshot(std::string state_path);
    ~KnobSnapshot();  // restores
    KnobSnapshot(const KnobSnapshot&) = delete;
    KnobSnapshot& operator=(const KnobSnapshot&) = delete;

    // Saves the current value of `path` (once), then writes `value`.
    Status set(const std::string& path, const std::string& value);
    void restore();  // newest first; then removes the state file

    // Restores the knobs of state files left by dead hap processes in `dir`.
    // Returns what it restored, for the log.
    static std::vector<std::string> restore_stale(const std::string& dir);

private:
    void persist() const;
    std::string state_path_;
    std::vector<std::pair<std::string, std::string>> saved_;  // path, old value
};

// A tracefs file's value as it must be written back: `current_tracer` and
// option files read back as they are written; list files (set_ftrace_pid,
// set_event_pid) read "no pid" when empty and must be written empty;
// function lists (set_ftrace_notrace, set_ftrace_filter) are rewritten in
// the form the kernel takes ("name:mod:M" for a module's "name [M]").
std::string value_to_restore(const std::string& path, const std::string& read_value);

}  // namespace hap
