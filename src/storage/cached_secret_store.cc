#include "storage/cached_secret_store.h"

namespace arcana::storage {
namespace {

std::string NameKey(const Scope& scope, const std::string& name) {
  return scope.account + '\n' + scope.region + '\n' + name;
}

}  // namespace

CachedSecretStore::CachedSecretStore(SecretStore& backend, ChangeFollower& follower)
    : backend_(backend),
      follower_(follower),
      cache_(std::make_unique<Cache>(kMaxEntries, kMaxValuesPerSecret)) {
  cache_->Follow(follower_, "secretsmanager");
}
CachedSecretStore::~CachedSecretStore() = default;

Result<std::optional<domain::sm::Secret>> CachedSecretStore::GetSecretByArn(
    const std::string& arn) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  uint64_t epoch = 0;
  if (auto hit = cache_->Get(arn, &epoch)) return hit;
  ARCANA_ASSIGN_OR_RETURN(auto secret, backend_.GetSecretByArn(arn));
  if (secret) cache_->Keep(secret->arn, *secret, epoch);
  return secret;
}

Result<std::optional<domain::sm::Secret>> CachedSecretStore::GetSecretByName(
    const Scope& scope, const std::string& name) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string key = NameKey(scope, name);
  uint64_t epoch = 0;
  auto still_named = [&name](const domain::sm::Secret& s) { return s.name == name; };
  if (auto hit = cache_->GetByAlias(key, still_named, &epoch)) return hit;
  ARCANA_ASSIGN_OR_RETURN(auto secret, backend_.GetSecretByName(scope, name));
  if (secret) cache_->Keep(secret->arn, *secret, epoch, key);
  return secret;
}

Result<std::optional<std::string>> CachedSecretStore::GetSealedValue(
    const std::string& arn, const std::string& version_id) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  uint64_t epoch = 0;
  if (auto hit = cache_->GetValue(arn, version_id, &epoch)) return hit;
  ARCANA_ASSIGN_OR_RETURN(auto sealed, backend_.GetSealedValue(arn, version_id));
  if (sealed) cache_->KeepValue(arn, version_id, *sealed, epoch);
  return sealed;
}

Result<std::vector<domain::sm::Secret>> CachedSecretStore::ListSecrets(const Scope& scope,
                                                                       const SecretQuery& query) {
  return backend_.ListSecrets(scope, query);
}

Result<std::vector<std::string>> CachedSecretStore::ListSecretsDeletedBefore(int64_t now_ms,
                                                                            size_t limit) {
  return backend_.ListSecretsDeletedBefore(now_ms, limit);
}

Status CachedSecretStore::Commit(const std::vector<SecretWrite>& writes,
                                 const std::vector<SecretDelete>& deletes) {
  // The commit's change rows erase the entries at this node's next Sync, like any node's.
  return backend_.Commit(writes, deletes);
}

Status CachedSecretStore::WipeSecrets() {
  Status s = backend_.WipeSecrets();
  cache_->Clear();
  return s;
}

}  // namespace arcana::storage
