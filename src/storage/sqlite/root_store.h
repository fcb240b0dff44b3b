// The SQLite RootOfTrustStore (storage/root_store.h): walks every root-wrapped blob (access
// keys, secret values, KMS key materials, listed meta keys) in one write transaction, each
// table in primary-key order a page (500 rows) at a time, so a rewrap holds a page of blobs
// in memory, not the store.
// A rewrap appends one Change (Change::kRootResource, kind "RewrapRootBlobs"), so every
// cache of sealed bytes drops them.
#pragma once

#include "storage/root_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteRootStore : public RootOfTrustStore {
 public:
  explicit SqliteRootStore(Database& db) : db_(db) {}

  Result<size_t> RewrapRootBlobs(const std::vector<std::string>& meta_keys, const RewrapFn& fn,
                                 const std::vector<std::pair<std::string, std::string>>& puts,
                                 const std::vector<std::string>& deletes) override;
  Status UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                    const std::vector<std::string>& deletes) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
