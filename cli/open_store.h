#pragma once

#include <memory>
#include <string>

#include "store.h"

namespace hap::cli {

// For commands that read: a missing database is an error, not a new file,
// and an older schema is migrated in memory, never in the file.
std::unique_ptr<Store> open_existing_store(const std::string& path);

}  // namespace hap::cli
