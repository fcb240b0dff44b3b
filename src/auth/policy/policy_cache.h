// Parsed policies, keyed by their text, so a policy is parsed once however many calls it
// decides. Bounded (kMaxEntries; the oldest half is dropped when full). The key is the
// whole text (hashed by the map), so a hash collision can never mix two policies.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/policy/evaluator.h"
#include "auth/policy/policy.h"

namespace arcana::auth::policy {

class PolicyCache {
 public:
  static constexpr size_t kMaxEntries = 8192;

  // The compiled policy for the text, parsing it on first use. Errors (malformed policy)
  // are cached too, so a bad stored policy costs one parse.
  Result<std::shared_ptr<const CompiledPolicy>> Get(std::string_view json, PolicyUse use) const;
  // An AppliedPolicy for a PolicySource (kind decides the PolicyUse).
  Result<AppliedPolicy> Apply(const PolicySource& src) const;

 private:
  struct Entry {
    std::shared_ptr<const CompiledPolicy> policy;
    Status error;
  };
  mutable std::shared_mutex mu_;
  mutable std::unordered_map<std::string, Entry> entries_[2];  // per PolicyUse
};

}  // namespace arcana::auth::policy
