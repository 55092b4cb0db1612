// The long per-symbol format of `hapctl export --format long`: one row per
// run x role x symbol, with the raw and the normalised name and its hits, so
// pandas or R can group, pivot and join without knowing hap's schema. Where
// the run's kernel has a source map (`hapctl sources import`), each row also
// says where the symbol lives: its file (several, ';'-separated, when the
// name is defined in several), MAINTAINERS section and top directory, or
// "unmapped"; without a map those three are empty.
#pragma once

#include <ostream>
#include <vector>

#include "store.h"

namespace hap {

std::vector<std::string> long_csv_header();
// Writes the rows of `runs`, reading each run's hits from `store` as it goes
// (memory: one run's hits at a time).
Status write_long_csv(std::ostream& out, Store& store, const std::vector<RunRow>& runs);

}  // namespace hap
