// hapctl is a table of subcommands, one file each (STYLE.md); main only
// dispatches. A subcommand that does not work yet is not in the table.
#pragma once

#include <string>
#include <vector>

namespace hap::cli {

struct Command {
    const char* name;
    const char* summary;
    int (*run)(const std::vector<std::string>& args);  // args after the command name
};

const std::vector<Command>& commands();

int cmd_measure(const std::vector<std::string>& args);
int cmd_runs(const std::vector<std::string>& args);
int cmd_export(const std::vector<std::string>& args);
int cmd_doctor(const std::vector<std::string>& args);
int cmd_trace(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);
int cmd_chart(const std::vector<std::string>& args);
int cmd_diff(const std::vector<std::string>& args);
int cmd_check(const std::vector<std::string>& args);
int cmd_merge(const std::vector<std::string>& args);
int cmd_compare(const std::vector<std::string>& args);
int cmd_complexity(const std::vector<std::string>& args);
int cmd_sources(const std::vector<std::string>& args);
int cmd_lab(const std::vector<std::string>& args);
int cmd_snapshot(const std::vector<std::string>& args);
int cmd_workload(const std::vector<std::string>& args);

}  // namespace hap::cli
