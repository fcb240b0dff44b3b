// The Secrets Manager service (X-Amz-Target "secretsmanager.*", API 2017-10-17): all 23
// operations. Each handler decodes its (model-validated) input, applies the domain rules
// in domain/secretsmanager/, persists through storage::SecretStore in one durable commit, and
// encodes the AWS response. Values are sealed with envelope encryption before they reach
// the store and opened only to answer a read.
// Thread-safety: reads run concurrently; read-modify-write handlers serialize on write_mu_.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

#include "common/json.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "domain/secretsmanager/secret.h"
#include "services/common/service.h"
#include "storage/secret_store.h"

namespace arcana::services::sm {

using domain::sm::Secret;
using domain::sm::SecretVersion;

// The data-key scope of a secret's values: its account and region, default key
// alias/aws/secretsmanager.
crypto::KeyScope KeyScopeOf(const Secret& s);

class SecretsManagerService : public Service {
 public:
  SecretsManagerService(storage::SecretStore& store, crypto::DataKeyProvider& keys,
                        const crypto::RootKey& root);

  std::string_view target_prefix() const override { return "secretsmanager"; }
  std::string_view signing_name() const override { return "secretsmanager"; }
  const ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;

  // Deletes secrets whose recovery window has ended. Called periodically.
  Status PurgeExpired(int64_t now_ms);

 private:
  using In = json::Input;
  using Handler = Result<std::string> (SecretsManagerService::*)(const In&, const CallContext&);

  // A secret as addressed by a caller. For a replica, `data` is its primary, whose
  // versions and metadata it presents; otherwise `data` is the secret itself.
  struct Loaded {
    Secret self;
    Secret primary;  // only set for replicas
    bool replica = false;
    const Secret& data() const { return replica ? primary : self; }
  };

  // --- shared steps (secrets_manager.cc) ---
  // Resolves a SecretId (name, ARN or partial ARN). A name-form id with characters no name
  // may hold is ValidationException before any lookup, as AWS answers it.
  Result<Loaded> Load(const CallContext& ctx, const std::string& secret_id);
  Result<Secret> LoadWritable(const CallContext& ctx, const std::string& secret_id);
  Result<std::string> SealVersion(const Secret& s, const std::string& kms_key_id,
                                  const std::string& version_id, std::string_view plaintext);
  Result<std::string> OpenVersion(const Secret& s, const SecretVersion& v);
  std::string ValueDigest(bool binary, std::string_view value) const;
  // `change` is the operation recorded in the store's change sequence for every write and
  // delete of this commit.
  Status Commit(const char* change, std::vector<storage::SecretWrite> writes,
                std::vector<std::string> deleted = {});
  // Commits a metadata-only change of one secret.
  Status Save(const char* change, const Secret& s) {
    return Commit(change, {storage::SecretWrite{s, {}, {}, {}}});
  }

  // --- operations ---
  Result<std::string> CreateSecret(const In&, const CallContext&);
  Result<std::string> PutSecretValue(const In&, const CallContext&);
  Result<std::string> UpdateSecret(const In&, const CallContext&);
  Result<std::string> UpdateSecretVersionStage(const In&, const CallContext&);
  Result<std::string> DeleteSecret(const In&, const CallContext&);
  Result<std::string> RestoreSecret(const In&, const CallContext&);
  Result<std::string> TagResource(const In&, const CallContext&);
  Result<std::string> UntagResource(const In&, const CallContext&);
  Result<std::string> GetSecretValue(const In&, const CallContext&);
  Result<std::string> BatchGetSecretValue(const In&, const CallContext&);
  Result<std::string> DescribeSecret(const In&, const CallContext&);
  Result<std::string> ListSecrets(const In&, const CallContext&);
  Result<std::string> ListSecretVersionIds(const In&, const CallContext&);
  Result<std::string> GetRandomPassword(const In&, const CallContext&);
  Result<std::string> PutResourcePolicy(const In&, const CallContext&);
  Result<std::string> GetResourcePolicy(const In&, const CallContext&);
  Result<std::string> DeleteResourcePolicy(const In&, const CallContext&);
  Result<std::string> ValidateResourcePolicy(const In&, const CallContext&);
  Result<std::string> ReplicateSecretToRegions(const In&, const CallContext&);
  Result<std::string> RemoveRegionsFromReplication(const In&, const CallContext&);
  Result<std::string> StopReplicationToReplica(const In&, const CallContext&);
  Result<std::string> RotateSecret(const In&, const CallContext&);
  Result<std::string> CancelRotateSecret(const In&, const CallContext&);

  // --- helpers shared by several operations ---
  struct NewValue {
    bool binary = false;
    std::string bytes;  // plaintext; wiped after sealing
  };
  // Reads SecretString / SecretBinary. nullopt: neither given. Error: both.
  Result<std::optional<NewValue>> ReadValue(const In& in);
  // Creates (or idempotently finds) a version with the value and stages; returns its id.
  Result<std::string> AddVersion(Secret& s, storage::SecretWrite& w, const std::string& token,
                                 NewValue value, const std::vector<std::string>& stages,
                                 int64_t now_ms, bool* created);
  // Adds replicas of `primary` to regions; updates primary.replicas and appends writes.
  Status AddReplicas(Secret& primary, const rapidjson::Value& regions, bool force_overwrite,
                     const CallContext& ctx, std::vector<storage::SecretWrite>& writes,
                     std::vector<std::string>& deleted);
  // Secrets of the caller's scope that pass ListSecrets-style filters, sorted.
  Result<std::vector<Loaded>> FilteredSecrets(const In& in, const CallContext& ctx,
                                              bool include_deleted);
  // Updates LastAccessedDate (day resolution) when the day changed.
  void TouchAccessed(const Secret& s, const std::string& version_id, int64_t now_ms);

  storage::SecretStore& store_;
  crypto::DataKeyProvider& keys_;
  // Derived from the root on first use: the service is built before the server unseals.
  crypto::DerivedKey digest_key_;
  crypto::DerivedKey page_key_;
  ModelValidator validator_;
  std::unordered_map<std::string, Handler> handlers_;
  std::mutex write_mu_;
};

}  // namespace arcana::services::sm
