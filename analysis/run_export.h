// Tidy per-run rows (one run a row) for pandas, R or a spreadsheet.
#pragma once

#include <ostream>
#include <vector>

#include "run_summary.h"

namespace hap {

std::vector<std::string> run_csv_header();
std::vector<std::string> run_csv_fields(const RunSummary& s);
void write_runs_csv(std::ostream& out, const std::vector<RunSummary>& runs);
// Tab-separated, for awk and shell pipelines: tabs and newlines in a field
// become spaces, so no quoting is ever needed.
void write_runs_tsv(std::ostream& out, const std::vector<RunSummary>& runs);
void write_runs_json(std::ostream& out, const std::vector<RunSummary>& runs);

}  // namespace hap
