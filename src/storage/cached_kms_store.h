// This node's cache in front of a KmsStore: keys, aliases and wrapped key materials as the
// backend returned them, so Encrypt/Decrypt/GenerateDataKey (and every secret read, whose
// data key a KMS key wraps) cost no database round trip beyond the follower's freshness
// check (change_follower.h). Entries are erased by the change sequence, never by time.
// Materials are wrapped under the root key (never plaintext). Bounded like
// cached_secret_store.h. Writes and lists go straight to the backend.
// Thread-safety: as KmsStore.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/change_follower.h"
#include "storage/kms_store.h"

namespace arcana::storage {

class CachedKmsStore final : public KmsStore {
 public:
  static constexpr size_t kMaxEntries = 10000;

  // Subscribes to follower; both must outlive this object.
  CachedKmsStore(KmsStore& backend, ChangeFollower& follower);
  ~CachedKmsStore() override;

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
  struct Cache;
  KmsStore& backend_;
  ChangeFollower& follower_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace arcana::storage
