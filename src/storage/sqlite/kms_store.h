// The SQLite KmsStore (storage/kms_store.h): tables `kms_keys` (metadata JSON, revision,
// deletion and rotation due times), `kms_key_materials` (root-wrapped), `kms_aliases` and
// `kms_grants`, each list served by an index.
#pragma once

#include "storage/kms_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

// One Change per KMS key that has key materials, in txn (a rewrap replaced their blobs).
Status AppendKeyMaterialChanges(WriteTxn& txn, const std::string& kind);

class SqliteKmsStore : public KmsStore {
 public:
  explicit SqliteKmsStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Result<std::optional<domain::kms::Key>> GetKmsKey(const Scope& scope,
                                                     const std::string& key_id) override;
  Result<std::vector<domain::kms::Key>> ListKmsKeys(const Scope& scope,
                                                    const std::string& after_key_id,
                                                    size_t limit) override;
  Result<std::vector<domain::kms::Key>> ListKmsKeysDue(int64_t now_ms, size_t limit) override;
  Status PutKmsKey(const domain::kms::Key& key, const std::vector<KeyMaterialRecord>& new_materials,
                   const std::string& change) override;
  Status CreateKmsKeyWithAlias(const domain::kms::Key& key,
                               const std::vector<KeyMaterialRecord>& materials,
                               const domain::kms::Alias& alias) override;
  Status WriteKmsKeys(const std::vector<KmsKeyWrite>& writes, const std::string& change) override;
  Result<std::vector<domain::kms::Key>> ListKmsKeyRegions(const std::string& account,
                                                          const std::string& key_id) override;
  Result<std::optional<KeyMaterialRecord>> GetKeyMaterial(const std::string& key_id,
                                                          const std::string& material_id) override;
  Status DeleteKmsKey(const Scope& scope, const std::string& key_id,
                      int64_t expected_revision) override;
  Result<std::optional<domain::kms::Alias>> GetKmsAlias(const Scope& scope,
                                                         const std::string& name) override;
  Result<std::vector<domain::kms::Alias>> ListKmsAliases(const Scope& scope,
                                                         const std::string& key_id,
                                                         const std::string& after_name,
                                                         size_t limit) override;
  Status PutKmsAlias(const domain::kms::Alias& alias, bool create, size_t max_per_key) override;
  Status DeleteKmsAlias(const Scope& scope, const std::string& name) override;
  Result<domain::kms::Grant> CreateKmsGrant(const domain::kms::Grant& grant, int64_t key_revision,
                                            size_t max_grants) override;
  Result<std::vector<domain::kms::Grant>> ListKmsGrants(const Scope& scope,
                                                        const std::string& key_id,
                                                        const std::string& after_grant_id,
                                                        size_t limit) override;
  Result<std::vector<domain::kms::Grant>> ListKmsGrantsByRetiringPrincipal(
      const std::string& region, const std::string& principal,
      const std::string& after_grant_id, size_t limit) override;
  Status DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                        const std::string& grant_id) override;
  Result<std::vector<KeyMaterialRecord>> ListKeyMaterials() override;
  Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) override;
  Status WipeKms() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
