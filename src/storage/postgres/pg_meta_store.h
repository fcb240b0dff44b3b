// The PostgreSQL MetaStore (meta_store.h): table meta, small named values (BYTEA).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include <string_view>

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
  Result<std::vector<std::pair<std::string, std::string>>> ListMeta(
      const std::string& prefix) override;

 private:
  Database& db_;
};

// Statements shared with the root-of-trust store (one transaction with its rewrap).
void PutMetaIn(Tx& tx, const std::string& key, const std::string& value);
void DeleteMetaIn(Tx& tx, const std::string& key);
// The root guard (storage/root_guard.h) for a root-sealed blob this transaction has just
// written (its row written first: the lock that orders it with a rotation's rewrap is held).
Status CheckSealedUnderStoreRoot(Tx& tx, std::string_view blob);

}  // namespace arcana::storage::pg
