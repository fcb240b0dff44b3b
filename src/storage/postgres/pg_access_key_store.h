// The PostgreSQL AccessKeyStore (access_key_store.h): table access_keys, each secret access
// key sealed under the root key (BYTEA). Puts and deletes append a Change (service "arcana",
// resource = the access key id).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/access_key_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgAccessKeyStore : public AccessKeyStore {
 public:
  explicit PgAccessKeyStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status PutAccessKey(const AccessKeyRecord& key) override;
  Result<std::optional<AccessKeyRecord>> GetAccessKey(const std::string& id) override;
  Result<std::vector<AccessKeyRecord>> ListAccessKeys(const std::string& after_id,
                                                      size_t limit) override;
  Status DeleteAccessKey(const std::string& id) override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
