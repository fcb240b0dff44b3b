// The SQLite AccessKeyStore (storage/access_key_store.h): table `access_keys` (created by
// the secrets component's first migration, secret_store.cc).
#pragma once

#include "storage/access_key_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteAccessKeyStore : public AccessKeyStore {
 public:
  explicit SqliteAccessKeyStore(Database& db) : db_(db) {}

  Status PutAccessKey(const AccessKeyRecord& key) override;
  Result<std::optional<AccessKeyRecord>> GetAccessKey(const std::string& id) override;
  Result<std::vector<AccessKeyRecord>> ListAccessKeys(const std::string& after_id,
                                                      size_t limit) override;
  Status DeleteAccessKey(const std::string& id) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
