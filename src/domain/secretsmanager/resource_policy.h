// Secrets Manager resource policies: IAM-grammar checks for PutResourcePolicy /
// ValidateResourcePolicy and the public-access test behind BlockPublicPolicy.
//
// Contract:
//  - ValidateResourcePolicy fails with kMalformedPolicyDocument (AWS's one message, "This
//    policy has invalid syntax.", whatever the fault) when the text is empty, longer than 20480 chars, not JSON, not an object,
//    or breaks the IAM grammar: unknown top-level key (allowed: Version, Id, Statement) or
//    statement key; Version not "2012-10-17"/"2008-10-17"; Statement missing, not an
//    object or a non-empty array of objects; Effect not Allow|Deny; neither or both of
//    Principal/NotPrincipal (resource policies need one); neither or both of
//    Action/NotAction; both Resource and NotResource; a malformed principal, action
//    ("*" or "vendor:pattern"), resource list or Condition (object of objects of
//    scalars or scalar arrays).
//  - On success it returns softer findings (empty = passed), each {check_name,
//    error_message}: "BROAD_ACCESS_CHECK" when GrantsPublicAccess is true;
//    "SYNTAX_CHECKING" for actions of another service, resources that are neither "*"
//    nor a Secrets Manager ARN, and duplicate Sids.
//  - GrantsPublicAccess: some Allow statement, as the policy engine compiles it, whose
//    Principal is "*" or {"AWS": "*"} ("*" alone or inside a list), or which uses
//    NotPrincipal (an Allow with NotPrincipal grants everyone else), and which no condition
//    restricts. A condition restricts when it pins the caller's account, ARN, user id or
//    organization, or the source account, ARN, owner, organization, VPC, VPC endpoint or IP
//    ranges to fixed values (StringEquals, ArnEquals, a pattern that keeps the account
//    literal, IpAddress short of all addresses; no policy variable, no IfExists or
//    ForAllValues). Empty operator blocks, Null, negated operators and other keys restrict
//    nothing. Text the engine cannot compile is not public (it is rejected elsewhere).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::sm {

inline constexpr size_t kMaxResourcePolicyLength = 20480;

struct PolicyCheck {
  std::string check_name;
  std::string error_message;
};

Result<std::vector<PolicyCheck>> ValidateResourcePolicy(std::string_view policy_json);

bool GrantsPublicAccess(std::string_view policy_json);

}  // namespace arcana::domain::sm
