// The PostgreSQL SecretStore (secret_store.h): table secrets (one row per secret: the metadata
// JSON of secret_codec.h, its revision, and the sort keys of ListSecrets, each with a
// (scope, key, arn) index so every order pages by keyset in either direction) and
// secret_values (one row per kept version's sealed value, BYTEA).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/postgres/pg_database.h"
#include "storage/secret_store.h"

namespace arcana::storage::pg {

class PgSecretStore : public SecretStore {
 public:
  explicit PgSecretStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) override;
  Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope& scope,
                                                             const std::string& name) override;
  Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope& scope,
                                                      const SecretQuery& query) override;
  Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now_ms,
                                                            size_t limit) override;
  Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                    const std::string& version_id) override;
  Status Commit(const std::vector<SecretWrite>& writes,
                const std::vector<SecretDelete>& deletes) override;
  Status WipeSecrets() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
