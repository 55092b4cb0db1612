#include "command.h"

namespace hap::cli {

const std::vector<Command>& commands() {
    static const std::vector<Command> table = {
        {"measure", "run a workload in a runtime under load and store its attack profile", cmd_measure},
        {"trace", "store the host kernel surface of any command, start to exit", cmd_trace},
        {"runs", "list stored runs", cmd_runs},
        {"export", "write stored runs as CSV or JSON", cmd_export},
        {"doctor", "tell what this host can measure, and why not", cmd_doctor},
    };
    return table;
}

}  // namespace hap::cli
