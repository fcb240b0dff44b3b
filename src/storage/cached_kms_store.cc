#include "storage/cached_kms_store.h"

#include <mutex>
#include <unordered_map>

namespace arcana::storage {
namespace {

std::string ScopedKey(const std::string& account, const std::string& region,
                      const std::string& id) {
  return account + '\n' + region + '\n' + id;
}

}  // namespace

struct CachedKmsStore::Cache {
  std::mutex mu;
  uint64_t epoch = 0;  // bumped by every erasure (change_follower.h, step 3)
  std::unordered_map<std::string, domain::kms::Key> keys;        // scope|key id
  std::unordered_map<std::string, domain::kms::Alias> aliases;   // scope|alias name
  std::unordered_map<std::string, KeyMaterialRecord> materials;  // key id|material id

  static std::string MaterialKey(const std::string& key_id, const std::string& material_id) {
    return key_id + '\n' + material_id;
  }

  // A change's resource is a key ARN (".../key/<id>") or an alias ARN (".../alias/<name>").
  void Apply(const Change& c) {
    if (c.IsRootRewrap()) return Clear();  // every material was rewrapped
    if (c.service != "kms") return;
    std::lock_guard<std::mutex> l(mu);
    ++epoch;
    const size_t colon = c.resource.rfind(':');
    const std::string tail = colon == std::string::npos ? c.resource : c.resource.substr(colon + 1);
    if (tail.rfind("key/", 0) == 0) {
      const std::string id = tail.substr(4);
      keys.erase(ScopedKey(c.account, c.region, id));
      // A deleted key takes its materials and aliases with it.
      for (auto it = materials.begin(); it != materials.end();) {
        it = it->second.key_id == id ? materials.erase(it) : std::next(it);
      }
      for (auto it = aliases.begin(); it != aliases.end();) {
        it = it->second.target_key_id == id ? aliases.erase(it) : std::next(it);
      }
    } else if (tail.rfind("alias/", 0) == 0) {
      aliases.erase(ScopedKey(c.account, c.region, tail));
    } else {
      ClearLocked();
    }
  }
  void ClearLocked() {
    ++epoch;
    keys.clear();
    aliases.clear();
    materials.clear();
  }
  void Clear() {
    std::lock_guard<std::mutex> l(mu);
    ClearLocked();
  }
  size_t SizeLocked() const { return keys.size() + aliases.size() + materials.size(); }

  // Looks `id` up in `map`; on a miss reads it with `load` and keeps it if no change was
  // applied meanwhile (change_follower.h, step 3).
  template <typename T, typename Load>
  Result<std::optional<T>> ReadThrough(ChangeFollower& follower,
                                       std::unordered_map<std::string, T>& map,
                                       const std::string& id, Load load) {
    ARCANA_RETURN_IF_ERROR(follower.Sync().status());
    uint64_t seen;
    {
      std::lock_guard<std::mutex> l(mu);
      auto it = map.find(id);
      if (it != map.end()) return std::optional<T>(it->second);
      seen = epoch;
    }
    ARCANA_ASSIGN_OR_RETURN(std::optional<T> value, load());
    if (value) {
      std::lock_guard<std::mutex> l(mu);
      if (epoch == seen) {
        if (SizeLocked() >= kMaxEntries) ClearLocked();
        map.emplace(id, *value);
      }
    }
    return value;
  }
};

CachedKmsStore::CachedKmsStore(KmsStore& backend, ChangeFollower& follower)
    : backend_(backend), follower_(follower), cache_(std::make_unique<Cache>()) {
  Cache* cache = cache_.get();
  follower_.Subscribe({[cache](const Change& c) { cache->Apply(c); }, [cache] { cache->Clear(); }});
}
CachedKmsStore::~CachedKmsStore() = default;

Result<std::optional<domain::kms::Key>> CachedKmsStore::GetKmsKey(const Scope& scope,
                                                                   const std::string& key_id) {
  return cache_->ReadThrough(follower_, cache_->keys, ScopedKey(scope.account, scope.region, key_id),
                             [&] { return backend_.GetKmsKey(scope, key_id); });
}

Result<std::optional<domain::kms::Alias>> CachedKmsStore::GetKmsAlias(const Scope& scope,
                                                                       const std::string& name) {
  return cache_->ReadThrough(follower_, cache_->aliases, ScopedKey(scope.account, scope.region, name),
                             [&] { return backend_.GetKmsAlias(scope, name); });
}

Result<std::optional<KeyMaterialRecord>> CachedKmsStore::GetKeyMaterial(
    const std::string& key_id, const std::string& material_id) {
  return cache_->ReadThrough(follower_, cache_->materials, Cache::MaterialKey(key_id, material_id),
                             [&] { return backend_.GetKeyMaterial(key_id, material_id); });
}

// Everything else goes straight to the backend; the change rows of writes erase entries at
// the next Sync on every node, this one included.
Result<std::vector<domain::kms::Key>> CachedKmsStore::ListKmsKeys(const Scope& scope,
                                                                  const std::string& after,
                                                                  size_t limit) {
  return backend_.ListKmsKeys(scope, after, limit);
}
Result<std::vector<domain::kms::Key>> CachedKmsStore::ListKmsKeysDue(int64_t now_ms,
                                                                     size_t limit) {
  return backend_.ListKmsKeysDue(now_ms, limit);
}
Status CachedKmsStore::PutKmsKey(const domain::kms::Key& key,
                                 const std::vector<KeyMaterialRecord>& new_materials,
                                 const std::string& change) {
  return backend_.PutKmsKey(key, new_materials, change);
}
Status CachedKmsStore::CreateKmsKeyWithAlias(const domain::kms::Key& key,
                                             const std::vector<KeyMaterialRecord>& materials,
                                             const domain::kms::Alias& alias) {
  return backend_.CreateKmsKeyWithAlias(key, materials, alias);
}
// Writes go to the backend; the Change rows they record erase the cached keys and materials.
Status CachedKmsStore::WriteKmsKeys(const std::vector<KmsKeyWrite>& writes,
                                    const std::string& change) {
  return backend_.WriteKmsKeys(writes, change);
}
Result<std::vector<domain::kms::Key>> CachedKmsStore::ListKmsKeyRegions(const std::string& account,
                                                                        const std::string& key_id) {
  return backend_.ListKmsKeyRegions(account, key_id);
}

Status CachedKmsStore::DeleteKmsKey(const Scope& scope, const std::string& key_id,
                                    int64_t expected_revision) {
  return backend_.DeleteKmsKey(scope, key_id, expected_revision);
}
Result<std::vector<domain::kms::Alias>> CachedKmsStore::ListKmsAliases(
    const Scope& scope, const std::string& key_id, const std::string& after_name, size_t limit) {
  return backend_.ListKmsAliases(scope, key_id, after_name, limit);
}
Status CachedKmsStore::PutKmsAlias(const domain::kms::Alias& alias, bool create,
                                   size_t max_per_key) {
  return backend_.PutKmsAlias(alias, create, max_per_key);
}
Status CachedKmsStore::DeleteKmsAlias(const Scope& scope, const std::string& name) {
  return backend_.DeleteKmsAlias(scope, name);
}
Result<domain::kms::Grant> CachedKmsStore::CreateKmsGrant(const domain::kms::Grant& grant,
                                                          int64_t key_revision,
                                                          size_t max_grants) {
  return backend_.CreateKmsGrant(grant, key_revision, max_grants);
}
Result<std::vector<domain::kms::Grant>> CachedKmsStore::ListKmsGrants(const Scope& scope,
                                                                      const std::string& key_id,
                                                                      const std::string& after,
                                                                      size_t limit) {
  return backend_.ListKmsGrants(scope, key_id, after, limit);
}
Result<std::vector<domain::kms::Grant>> CachedKmsStore::ListKmsGrantsByRetiringPrincipal(
    const std::string& region, const std::string& principal, const std::string& after,
    size_t limit) {
  return backend_.ListKmsGrantsByRetiringPrincipal(region, principal, after, limit);
}
Status CachedKmsStore::DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                                      const std::string& grant_id) {
  return backend_.DeleteKmsGrant(scope, key_id, grant_id);
}
Result<std::vector<KeyMaterialRecord>> CachedKmsStore::ListKeyMaterials() {
  return backend_.ListKeyMaterials();
}
Status CachedKmsStore::RewrapKeyMaterials(
    const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) {
  Status s = backend_.RewrapKeyMaterials(rewrap);
  cache_->Clear();  // rewrapped blobs: no change rows (no resource changed), so drop here
  return s;
}
Status CachedKmsStore::WipeKms() {
  Status s = backend_.WipeKms();
  cache_->Clear();
  return s;
}

}  // namespace arcana::storage
