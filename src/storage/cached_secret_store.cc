#include "storage/cached_secret_store.h"

#include <mutex>
#include <unordered_map>

namespace arcana::storage {

struct CachedSecretStore::Cache {
  struct Entry {
    std::shared_ptr<const domain::sm::Secret> secret;
    std::unordered_map<std::string, std::string> sealed;  // version id -> sealed value
  };
  std::mutex mu;
  // Bumped by every erasure: a row read before an erasure may be older than the change that
  // caused it, so it is not kept (change_follower.h, step 3).
  uint64_t epoch = 0;
  std::unordered_map<std::string, Entry> by_arn;
  // scope|name -> ARN. Valid only while by_arn still holds that ARN under that name: a
  // change erases the ARN's entry, which is all it takes to retire its names too.
  std::unordered_map<std::string, std::string> names;

  static std::string NameKey(const Scope& scope, const std::string& name) {
    return scope.account + '\n' + scope.region + '\n' + name;
  }
  void EraseArn(const std::string& arn) {
    std::lock_guard<std::mutex> l(mu);
    ++epoch;
    by_arn.erase(arn);
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu);
    ++epoch;
    by_arn.clear();
    names.clear();
  }
  uint64_t Epoch() {
    std::lock_guard<std::mutex> l(mu);
    return epoch;
  }
};

CachedSecretStore::CachedSecretStore(SecretStore& backend, ChangeFollower& follower)
    : backend_(backend), follower_(follower), cache_(std::make_unique<Cache>()) {
  Cache* cache = cache_.get();
  follower_.Subscribe({[cache](const Change& c) {
                         if (c.service == "secretsmanager") {
                           cache->EraseArn(c.resource);
                         } else if (c.IsRootRewrap()) {
                           cache->Clear();  // every sealed value was rewrapped
                         }
                       },
                       [cache] { cache->Clear(); }});
}
CachedSecretStore::~CachedSecretStore() = default;

Result<std::optional<domain::sm::Secret>> CachedSecretStore::Keep(
    std::optional<domain::sm::Secret> secret, uint64_t epoch, const std::string& name_key) {
  if (!secret) return secret;
  std::lock_guard<std::mutex> l(cache_->mu);
  if (cache_->epoch != epoch) return secret;
  if (cache_->by_arn.size() >= kMaxEntries) {
    cache_->by_arn.clear();
    cache_->names.clear();
  }
  auto& e = cache_->by_arn[secret->arn];
  if (!e.secret || e.secret->revision != secret->revision) {
    e.secret = std::make_shared<const domain::sm::Secret>(*secret);
    e.sealed.clear();
  }
  if (!name_key.empty()) cache_->names[name_key] = secret->arn;
  return secret;
}

Result<std::optional<domain::sm::Secret>> CachedSecretStore::GetSecretByArn(
    const std::string& arn) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    if (it != cache_->by_arn.end()) return std::optional<domain::sm::Secret>(*it->second.secret);
    epoch = cache_->epoch;
  }
  ARCANA_ASSIGN_OR_RETURN(auto secret, backend_.GetSecretByArn(arn));
  return Keep(std::move(secret), epoch, "");
}

Result<std::optional<domain::sm::Secret>> CachedSecretStore::GetSecretByName(
    const Scope& scope, const std::string& name) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  const std::string key = Cache::NameKey(scope, name);
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto n = cache_->names.find(key);
    if (n != cache_->names.end()) {
      auto it = cache_->by_arn.find(n->second);
      if (it != cache_->by_arn.end() && it->second.secret->name == name) {
        return std::optional<domain::sm::Secret>(*it->second.secret);
      }
    }
    epoch = cache_->epoch;
  }
  ARCANA_ASSIGN_OR_RETURN(auto secret, backend_.GetSecretByName(scope, name));
  return Keep(std::move(secret), epoch, key);
}

Result<std::optional<std::string>> CachedSecretStore::GetSealedValue(
    const std::string& arn, const std::string& version_id) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    if (it != cache_->by_arn.end()) {
      auto v = it->second.sealed.find(version_id);
      if (v != it->second.sealed.end()) return std::optional<std::string>(v->second);
    }
    epoch = cache_->epoch;
  }
  ARCANA_ASSIGN_OR_RETURN(auto sealed, backend_.GetSealedValue(arn, version_id));
  if (sealed) {
    std::lock_guard<std::mutex> l(cache_->mu);
    auto it = cache_->by_arn.find(arn);
    // Only beside the metadata it belongs to: an entry (re)filled after a change is new.
    if (cache_->epoch == epoch && it != cache_->by_arn.end() &&
        it->second.sealed.size() < kMaxValuesPerSecret) {
      it->second.sealed.emplace(version_id, *sealed);
    }
  }
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
