// Parameter Store resource policies (SSM PutResourcePolicy / GetResourcePolicies /
// DeleteResourcePolicy on a parameter ARN): what one stored policy is, the limits AWS
// documents, and the checks made on a policy document before it is stored. The policy
// engine (auth/policy) compiles and enforces the text; nothing here evaluates it.
//
// AWS's contract (API reference, PutResourcePolicy; "Working with shared parameters"):
//  - only Advanced-tier parameters can be shared (ResourcePolicyInvalidParameterException
//    here: AWS documents the rule, not the error text);
//  - a policy document is at most 1024 bytes (ResourcePolicyLimitExceededException's
//    documentation);
//  - an update or delete names PolicyId and the PolicyHash last read; a stale hash is
//    ResourcePolicyConflictException.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::ssm {

struct ResourcePolicy {
  std::string id;      // PolicyId: chosen at creation, never changes
  std::string hash;    // PolicyHash: of the current text (PolicyHashOf)
  std::string policy;  // the JSON document as given
};

// AWS: "A policy can't be greater than 1024 bytes in size."
inline constexpr size_t kMaxResourcePolicyBytes = 1024;
// Arcana's own bound on policies per parameter (AWS documents none for parameters; each
// one becomes a RAM resource share there). Keeps the stored set and its evaluation small.
inline constexpr size_t kMaxResourcePoliciesPerParameter = 10;

// The PolicyHash of a document: lower-case hex SHA-256 of its text, so a writer that read an
// older text holds a different hash.
std::string PolicyHashOf(std::string_view policy);

// Checks a document before it is stored. Errors: kResourcePolicyLimitExceeded (over
// kMaxResourcePolicyBytes); kMalformedResourcePolicyDocument (not a JSON object with a
// non-empty Statement whose every statement names a Principal, the part of the grammar
// that makes it a resource policy; the IAM grammar itself is checked by the caller with
// the policy engine, which must be able to enforce what is stored).
Status CheckResourcePolicyDocument(std::string_view policy);

// One document the policy engine evaluates as the parameter's resource policy: the
// statements of every policy, in order (a Deny in any of them counts). Empty when there
// are none. Documents are trusted to have passed CheckResourcePolicyDocument.
std::string CombinedResourcePolicy(const std::vector<ResourcePolicy>& policies);

}  // namespace arcana::domain::ssm
