#include "auth/policy/policy_cache.h"

#include <mutex>

namespace arcana::auth::policy {

Result<std::shared_ptr<const CompiledPolicy>> PolicyCache::Get(std::string_view json,
                                                               PolicyUse use) const {
  auto& map = entries_[use == PolicyUse::kResource ? 1 : 0];
  std::string key(json);
  {
    std::shared_lock lock(mu_);
    auto it = map.find(key);
    if (it != map.end()) {
      if (!it->second.error.ok()) return it->second.error;
      return it->second.policy;
    }
  }
  auto parsed = ParsePolicy(json, use);  // outside the lock: parsing may take a while
  Entry e;
  if (parsed.ok()) e.policy = parsed.value();
  else e.error = parsed.status();
  std::unique_lock lock(mu_);
  if (map.size() >= kMaxEntries) {
    // Drop about half, oldest or not: entries are cheap to rebuild and this keeps the bound
    // without bookkeeping on the hot (read) path.
    size_t drop = map.size() / 2;
    for (auto it = map.begin(); it != map.end() && drop > 0; --drop) it = map.erase(it);
  }
  map.emplace(std::move(key), e);
  return parsed;
}

Result<AppliedPolicy> PolicyCache::Apply(const PolicySource& src) const {
  ARCANA_ASSIGN_OR_RETURN(auto compiled, Get(src.json, UseOf(src.kind)));
  return AppliedPolicy{std::move(compiled), src.source_id, src.kind};
}

}  // namespace arcana::auth::policy
