// The embedded store: one SQLite database file in WAL mode with synchronous=FULL, so a
// commit is on disk before it is acknowledged (and survives kill -9 and power loss).
// Connections are pooled, one in use per thread at a time; each caches its prepared
// statements. Schema changes are numbered migrations applied at open (PRAGMA user_version).
#pragma once

#include <memory>
#include <string>

#include "storage/sqlite_db.h"
#include "storage/store.h"

namespace arcana::storage {

class SqliteStore : public Store {
 public:
  // Opens (creating if needed) the database at path and migrates it to the newest schema.
  static Result<std::unique_ptr<SqliteStore>> Open(const std::string& path);
  ~SqliteStore() override;

  Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) override;
  Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope& scope,
                                                             const std::string& name) override;
  Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope& scope) override;
  Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now_ms) override;
  Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                    const std::string& version_id) override;
  Status Commit(const std::vector<SecretWrite>& writes,
                const std::vector<std::string>& deleted_arns) override;

  Status PutAccessKey(const AccessKeyRecord& key) override;
  Result<std::optional<AccessKeyRecord>> GetAccessKey(const std::string& id) override;
  Result<std::vector<AccessKeyRecord>> ListAccessKeys() override;
  Status DeleteAccessKey(const std::string& id) override;

  Result<std::optional<std::string>> GetMeta(const std::string& key) override;
  Status PutMeta(const std::string& key, const std::string& value) override;
  Status WipeResources() override;

  // Other store components (kms, ssm) implement their methods in sqlite_store_<x>.cc
  // on the same pool.
 private:
  explicit SqliteStore(std::unique_ptr<sqlite::Pool> pool);
  std::unique_ptr<sqlite::Pool> pool_;
};

}  // namespace arcana::storage
