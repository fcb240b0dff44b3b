// Parameter policies (spec 4.1): a JSON array of at most 10 policy objects
// {"Type": ..., "Version": "1.0", "Attributes": {...}} of the types Expiration
// (Attributes.Timestamp, ISO 8601, in the future), ExpirationNotification and
// NoChangeNotification (Attributes.Before / After: a positive number; Unit: Days | Hours).
// At most one of each type. Expiration is enforced by deleting the parameter.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {

inline constexpr size_t kMaxPolicies = 10;

struct ParsedPolicies {
  std::vector<Policy> policies;
  std::optional<int64_t> expires_ms;
};

// Errors: kValidation (not a JSON array of objects), kPoliciesLimitExceeded,
// kInvalidPolicyType, kInvalidPolicyAttribute, kIncompatiblePolicy.
Result<ParsedPolicies> ParsePolicies(std::string_view json, int64_t now_ms);

}  // namespace arcana::domain::ssm
