// The SQLite SecretStore (storage/secret_store.h): tables `secrets` (one row per secret:
// metadata JSON, revision, and the columns every ListSecrets order is indexed on) and
// `secret_values` (one row per kept version's sealed value).
#pragma once

#include "storage/secret_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteSecretStore : public SecretStore {
 public:
  explicit SqliteSecretStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) override;
  Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope& scope,
                                                             const std::string& name) override;
  Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope& scope,
                                                      const SecretQuery& query) override;
  Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now_ms, size_t limit) override;
  Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                    const std::string& version_id) override;
  Status Commit(const std::vector<SecretWrite>& writes,
                const std::vector<SecretDelete>& deletes) override;
  Status WipeSecrets() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
