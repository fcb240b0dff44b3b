// The storage seam. Every durable byte Arcana keeps goes through this interface:
// SQLite implements it now (embedded default), PostgreSQL will for scale-out. No SQL
// outside storage/. A call returns only after its transaction is durable.
// Thread-safety: every method may be called concurrently from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/secretsmanager/secret.h"

namespace arcana::storage {

// All state is per account and region.
struct Scope {
  std::string account;
  std::string region;
};

// A sealed (encrypted) secret value; opaque bytes to the store.
struct SealedValue {
  std::string version_id;
  std::string sealed;
};

// One secret's changes, applied atomically with the others in the same Commit.
struct SecretWrite {
  domain::sm::Secret secret;               // full metadata (versions without values)
  std::vector<SealedValue> new_values;     // values of versions created by this write
  std::vector<std::string> removed_versions;  // versions pruned by this write
};

struct AccessKeyRecord {
  std::string access_key_id;
  std::string sealed_secret;  // the secret access key, sealed under the root key
  std::string account_id;
  std::string principal_arn;
  int64_t created_ms = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- Secrets Manager ---
  virtual Result<std::optional<domain::sm::Secret>> GetSecretByArn(const std::string& arn) = 0;
  virtual Result<std::optional<domain::sm::Secret>> GetSecretByName(const Scope& scope,
                                                                     const std::string& name) = 0;
  // Every secret in the scope, including those scheduled for deletion.
  virtual Result<std::vector<domain::sm::Secret>> ListSecrets(const Scope& scope) = 0;
  // ARNs of secrets whose deletion date is at or before now_ms, in any scope.
  virtual Result<std::vector<std::string>> ListSecretsDeletedBefore(int64_t now_ms) = 0;
  virtual Result<std::optional<std::string>> GetSealedValue(const std::string& arn,
                                                            const std::string& version_id) = 0;
  // Applies the writes and deletes (secrets with all their values) in one transaction.
  virtual Status Commit(const std::vector<SecretWrite>& writes,
                        const std::vector<std::string>& deleted_arns) = 0;

  // --- Access keys ---
  virtual Status PutAccessKey(const AccessKeyRecord& key) = 0;
  virtual Result<std::optional<AccessKeyRecord>> GetAccessKey(const std::string& id) = 0;
  virtual Result<std::vector<AccessKeyRecord>> ListAccessKeys() = 0;
  // Returns kResourceNotFound when absent.
  virtual Status DeleteAccessKey(const std::string& id) = 0;

  // --- Server metadata (small named values: token keys, init markers) ---
  virtual Result<std::optional<std::string>> GetMeta(const std::string& key) = 0;
  virtual Status PutMeta(const std::string& key, const std::string& value) = 0;

  // Dev-mode reset: drops every service resource; keeps access keys and metadata.
  virtual Status WipeResources() = 0;
};

}  // namespace arcana::storage
