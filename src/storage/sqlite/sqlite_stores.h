// The embedded backend's Stores (storage/stores.h): one SQLite database (Database) shared by
// one class per component. One process owns the database at a time (the server holds the
// data dir's lock), which is what lets the change head live in memory.
#pragma once

#include <memory>
#include <string>

#include "storage/stores.h"

namespace arcana::storage::sqlite {

// Opens (creating if needed) and migrates the database file at `path` (normally
// <data dir>/arcana.db).
Result<std::unique_ptr<Stores>> OpenSqliteStores(const std::string& path);

}  // namespace arcana::storage::sqlite
