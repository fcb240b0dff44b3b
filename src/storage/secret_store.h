// The Secrets Manager component of the storage seam: secrets (metadata with every kept
// version's stages) and each version's sealed value. See store_types.h for the contract every
// component shares (durability, revisions, change rows, bounded lists, errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/secretsmanager/secret.h"
#include "storage/store_types.h"

namespace arcana::storage {

// A sealed (encrypted) secret value; opaque bytes to the store.
struct SealedValue {
  std::string version_id;
  std::string sealed;
};

// One secret's changes, applied atomically with the others in the same Commit.
// secret.revision is the revision the caller read (0: create; see store_types.h).
struct SecretWrite {
  domain::sm::Secret secret;                  // full metadata (versions without values)
  std::vector<SealedValue> new_values;        // values of versions created by this write
  std::vector<std::string> removed_versions;  // versions pruned by this write
  std::string change;  // the Change kind recorded (change_log.h), e.g. "PutSecretValue"
};

// A secret removed with all its values. expected_revision 0: whatever is stored.
struct SecretDelete {
  std::string arn;
  int64_t expected_revision = 0;
  std::string change;  // e.g. "DeleteSecret" (ForceDeleteWithoutRecovery), "PurgeSecret"
};

enum class SecretOrder { kCreated, kName, kLastChanged, kLastAccessed };

// Where a page of ListSecrets continues: after the secret with this sort key and ARN.
// The key of a secret is (created_ms | name | last_changed_ms or 0 | last_accessed_ms or 0),
// ties broken by ARN, in the query's direction.
struct SecretPosition {
  int64_t number = 0;  // kCreated, kLastChanged, kLastAccessed
  std::string name;    // kName
  std::string arn;
};

struct SecretQuery {
  SecretOrder order = SecretOrder::kCreated;
  bool descending = false;
  // Secrets scheduled for deletion: never when false; when true, those whose deletion date
  // is still after now_ms (a secret past its date is awaiting purge and never listed).
  bool include_deleted = false;
  int64_t now_ms = 0;
  std::optional<SecretPosition> after;  // nullopt: from the start
  size_t limit = 100;                   // at most kMaxListLimit
};

class SecretStore {
 public:
  virtual ~SecretStore() = default;

  virtual Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) = 0;
  virtual Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope& scope,
                                                                     const std::string& name) = 0;
  // One page of the scope's secrets in the query's order (an index serves every order).
  virtual Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope& scope,
                                                              const SecretQuery& query) = 0;
  // The position of `s` in `order` (what a page's last item gives the next page's `after`).
  static SecretPosition PositionOf(const domain::sm::Secret& s, SecretOrder order);
  // ARNs of secrets (any scope) whose deletion date is at or before now_ms, at most limit.
  virtual Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now_ms,
                                                                    size_t limit) = 0;
  virtual Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                            const std::string& version_id) = 0;
  // Applies the writes and deletes in one transaction, all or nothing: any revision mismatch
  // is kWriteConflict and nothing is applied.
  virtual Status Commit(const std::vector<SecretWrite>& writes,
                        const std::vector<SecretDelete>& deletes) = 0;
  // Dev-mode reset: drops every secret.
  virtual Status WipeSecrets() = 0;
};

}  // namespace arcana::storage
