// This node's cache in front of a SecretStore: decoded secrets by ARN (and name), with the
// sealed values of their versions, so a hot GetSecretValue costs no database round trip
// beyond the follower's freshness check (change_follower.h). Entries are erased by the
// change sequence, never by time, so a read on any node after a write acknowledged on any
// node sees that write. Writes and lists go straight to the backend. Bounded: at most
// kMaxEntries secrets, kMaxValuesPerSecret sealed values each (the whole cache is dropped
// when full: cheap, and a working set larger than the cache gains nothing from LRU order).
// Sealed values are ciphertext; nothing here is plaintext.
// Thread-safety: as SecretStore.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "storage/change_follower.h"
#include "storage/secret_store.h"
#include "storage/versioned_cache.h"

namespace arcana::storage {

class CachedSecretStore final : public SecretStore {
 public:
  static constexpr size_t kMaxEntries = 10000;
  static constexpr size_t kMaxValuesPerSecret = 16;

  // Subscribes to follower; both must outlive this object.
  CachedSecretStore(SecretStore& backend, ChangeFollower& follower);
  ~CachedSecretStore() override;

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
  // By ARN, with each secret's sealed values by version id; aliases: scope and name.
  using Cache = VersionedCache<domain::sm::Secret, std::string>;
  SecretStore& backend_;
  ChangeFollower& follower_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace arcana::storage
