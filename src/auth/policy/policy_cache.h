// Parsed policies, keyed by their text, so a policy is parsed once however many calls it
// decides. Bounded (kMaxEntries; the oldest half is dropped when full). The key is the
// whole text (hashed by the map), so a hash collision can never mix two policies.
// AWS managed policies (domain/iam/aws_managed_policies.h) are compiled once for the
// process's life instead (CompiledAwsManagedPolicy): their documents are long (ReadOnlyAccess
// is ~91,000 characters, ~2,900 action patterns), so keying them by text would copy and hash
// the whole text on every call, and they would be dropped and re-parsed with the others.
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

// The compiled form of an AWS managed policy's default version as the catalog holds it,
// parsed on first use and kept for the process's life; nullptr when `src` is not one (its
// source_id is not a catalog ARN, it is a resource policy, or its text is not the catalog's:
// only then is the catalog's compiled form the right one).
std::shared_ptr<const CompiledPolicy> CompiledAwsManagedPolicy(const PolicySource& src);

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
