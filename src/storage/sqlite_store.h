// The embedded store: one SQLite database file in WAL mode with synchronous=FULL, so a
// commit is on disk before it is acknowledged (and survives kill -9 and power loss).
// Connections are pooled, one in use per thread at a time; each caches its prepared
// statements. Schema changes are numbered migrations applied at open (PRAGMA user_version).
#pragma once

#include <memory>
#include <string>

#include "storage/kms_store.h"
#include "storage/parameter_store.h"  // SSM
#include "storage/root_store.h"  // root of trust
#include "storage/sqlite_db.h"
#include "storage/text_cache.h"
#include "storage/store.h"

namespace arcana::storage {

class SqliteStore : public Store, public RootOfTrustStore, public KmsStore, public ParameterStore {
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
  // --- KmsStore (sqlite_store_kms.cc) ---
  Result<std::optional<domain::kms::Key>> GetKmsKey(const Scope& scope,
                                                     const std::string& key_id) override;
  Result<std::vector<domain::kms::Key>> ListKmsKeys(const Scope& scope) override;
  Result<std::vector<domain::kms::Key>> ListKmsKeysDue(int64_t now_ms) override;
  Status PutKmsKey(const domain::kms::Key& key, const std::vector<KeyMaterialRecord>& new_materials,
                   bool create_only) override;
  Status CreateKmsKeyWithAlias(const domain::kms::Key& key,
                               const std::vector<KeyMaterialRecord>& materials,
                               const domain::kms::Alias& alias) override;
  Result<std::optional<KeyMaterialRecord>> GetKeyMaterial(const std::string& key_id,
                                                          const std::string& material_id) override;
  Status DeleteKmsKey(const Scope& scope, const std::string& key_id) override;
  Result<std::optional<domain::kms::Alias>> GetKmsAlias(const Scope& scope,
                                                         const std::string& name) override;
  Result<std::vector<domain::kms::Alias>> ListKmsAliases(const Scope& scope) override;
  Status PutKmsAlias(const domain::kms::Alias& alias, bool create) override;
  Status DeleteKmsAlias(const Scope& scope, const std::string& name) override;
  Status PutKmsGrant(const domain::kms::Grant& grant) override;
  Result<std::vector<domain::kms::Grant>> ListKmsGrants(const Scope& scope,
                                                        const std::string& key_id) override;
  Result<std::vector<domain::kms::Grant>> ListKmsGrantsByRetiringPrincipal(
      const Scope& scope, const std::string& principal) override;
  Status DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                        const std::string& grant_id) override;
  Result<std::vector<KeyMaterialRecord>> ListKeyMaterials() override;
  Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) override;
  Status WipeKms() override;

  // --- SSM ParameterStore (sqlite_store_ssm.cc) ---
  Result<std::optional<domain::ssm::Parameter>> GetParameter(const Scope& scope,
                                                              const std::string& key) override;
  Result<std::vector<domain::ssm::Parameter>> ListParameters(
      const Scope& scope, const std::string& key_prefix, const std::string& after_key) override;
  Result<std::optional<std::string>> GetParameterValue(const Scope& scope, const std::string& key,
                                                       int64_t version) override;
  Result<std::map<int64_t, std::string>> GetParameterValues(const Scope& scope,
                                                            const std::string& key) override;
  Result<ParameterCounts> CountParameters(const Scope& scope) override;
  Status CommitParameter(const ParameterWrite& write) override;
  Result<std::vector<std::string>> DeleteParameters(const Scope& scope,
                                                    const std::vector<std::string>& keys) override;
  Result<std::vector<ParameterRef>> ListParametersExpiredBefore(int64_t now_ms) override;
  // --- end SSM ---

  // --- RootOfTrustStore (sqlite_store_root.cc) ---
  Result<size_t> RewrapRootBlobs(const std::vector<std::string>& meta_keys, const RewrapFn& fn,
                                 const std::vector<std::pair<std::string, std::string>>& puts,
                                 const std::vector<std::string>& deletes) override;
  Status UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                    const std::vector<std::string>& deletes) override;

 private:
  explicit SqliteStore(std::unique_ptr<sqlite::Pool> pool);
  // Decoded secret metadata and sealed values, valid while the pool's generation (bumped
  // by every commit) is unchanged: hot reads skip the database (sqlite_store.cc).
  Result<std::optional<domain::sm::Secret>> DecodeCached(std::string arn, std::string meta,
                                                         uint64_t gen);
  void ForgetCachedSecrets();
  std::unique_ptr<sqlite::Pool> pool_;
  std::unique_ptr<TextCache<domain::kms::Key>> kms_cache_;
  struct DecodeCache;
  std::unique_ptr<DecodeCache> decode_cache_;
};

// The SSM component's schema migrations (sqlite_store_ssm.cc), listed in AllMigrations().
sqlite::Migrations SsmMigrations();

}  // namespace arcana::storage
