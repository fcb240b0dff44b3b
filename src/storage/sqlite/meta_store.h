// The SQLite MetaStore (storage/meta_store.h): table `meta` (created before any migration,
// database.cc). Meta writes append no Change rows.
#pragma once

#include <string_view>

#include "storage/meta_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteMetaStore : public MetaStore {
 public:
  explicit SqliteMetaStore(Database& db) : db_(db) {}

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  Result<std::string> PutMetaIfAbsent(const std::string& key, const std::string& value) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListMeta(
      const std::string& prefix) override;

 private:
  Database& db_;
};

// The root guard (storage/root_guard.h) for a root-sealed blob written in this write
// transaction (the one writer: no rotation's rewrap can commit between this read and commit).
Status CheckSealedUnderStoreRoot(Conn& c, std::string_view blob);

}  // namespace arcana::storage::sqlite
