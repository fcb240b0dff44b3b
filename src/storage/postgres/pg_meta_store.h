// The PostgreSQL MetaStore (meta_store.h): table meta, small named values (BYTEA).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/meta_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgMetaStore : public MetaStore {
 public:
  explicit PgMetaStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  Result<std::string> PutMetaIfAbsent(const std::string& key, const std::string& value) override;

 private:
  Database& db_;
};

// Statements shared with the root-of-trust store (one transaction with its rewrap).
void PutMetaIn(Tx& tx, const std::string& key, const std::string& value);
void DeleteMetaIn(Tx& tx, const std::string& key);

}  // namespace arcana::storage::pg
