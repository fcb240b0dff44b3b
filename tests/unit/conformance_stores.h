// The store conformance programs' one way to open a backend: through OpenStores, as arcanad
// opens it (the node's caches in front of the backend), so every case also checks that the
// caches stay exact. backend: "sqlite" (where = a data dir) or "postgresql" (where = a URL).
#pragma once

#include <memory>
#include <string>

#include "common/status.h"
#include "storage/stores.h"

namespace arcana::testing {

inline Result<std::unique_ptr<storage::Stores>> OpenStoresAt(const std::string& backend,
                                                             const std::string& where) {
  storage::StoreLocation loc;
  if (backend == "sqlite") {
    loc.kind = storage::StoreLocation::Kind::kSqlite;
    loc.sqlite_dir = where;
  } else {
    loc.kind = storage::StoreLocation::Kind::kPostgres;
    loc.pg_url = where;
  }
  return storage::OpenStores(loc);
}

// An event connection (kind kEventConnectionKind) or API destination row of account
// 111122223333 in us-east-1, created and modified at 1, its document "{}".
inline storage::EventConnectionRecord EventConnectionRow(const std::string& kind,
                                                         const std::string& name,
                                                         const std::string& uuid) {
  storage::EventConnectionRecord r;
  r.kind = kind;
  r.name = name;
  r.arn = "arn:aws:events:us-east-1:111122223333:" + kind + "/" + name + "/" + uuid;
  r.state = kind == storage::kEventConnectionKind ? "AUTHORIZED" : "";
  r.document = "{}";
  r.created_ms = r.modified_ms = 1;
  return r;
}

}  // namespace arcana::testing
