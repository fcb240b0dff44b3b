#include "auth/policy/policy_cache.h"

#include <mutex>

#include "domain/iam/aws_managed_policies.h"

namespace arcana::auth::policy {

std::shared_ptr<const CompiledPolicy> CompiledAwsManagedPolicy(const PolicySource& src) {
  // Every policy of every decided call passes here: a customer policy's id is no catalog
  // ARN, which the prefix tells without hashing it.
  if (src.kind == PolicySource::Kind::kResource ||
      !domain::iam::IsAwsManagedPolicyArn(src.source_id)) {
    return nullptr;
  }
  const auto* policy = domain::iam::FindAwsManagedPolicy(src.source_id);
  if (policy == nullptr) return nullptr;
  const auto* version = policy->DefaultVersion();
  if (version == nullptr) return nullptr;
  // The resolver references the catalog's text (PolicyText::Static): same object, same text.
  if (&src.json.str() != &version->document && src.json.str() != version->document) {
    return nullptr;
  }
  // One slot per catalog policy (the catalog is immutable: its index is stable).
  struct Slot {
    std::once_flag once;
    std::shared_ptr<const CompiledPolicy> compiled;
  };
  const auto& all = domain::iam::AwsManagedPolicies();
  static const std::unique_ptr<Slot[]> slots(new Slot[all.size()]);
  Slot& slot = slots[static_cast<size_t>(policy - all.data())];
  std::call_once(slot.once, [&] {
    auto parsed = ParsePolicy(version->document, PolicyUse::kIdentity);
    // A catalog document that does not compile (a unit test holds that none does) is left
    // to PolicyCache, which reports the error, so the caller fails closed as for any other.
    if (parsed.ok()) slot.compiled = parsed.value();
  });
  return slot.compiled;
}

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
  if (auto aws = CompiledAwsManagedPolicy(src)) {
    return AppliedPolicy{std::move(aws), src.source_id, src.kind};
  }
  ARCANA_ASSIGN_OR_RETURN(auto compiled, Get(src.json, UseOf(src.kind)));
  return AppliedPolicy{std::move(compiled), src.source_id, src.kind};
}

}  // namespace arcana::auth::policy
