#include "open_store.h"

#include "files.h"

namespace hap::cli {

std::unique_ptr<Store> open_existing_store(const std::string& path) {
    if (!path_exists(path))
        throw UserError("no database at " + path, "run `hapctl measure` first, or pass --db (or set HAP_DB)");
    auto store = Store::open_for_reading(path);
    if (!store) throw UserError(store.error().describe());
    return std::move(*store);
}

}  // namespace hap::cli
