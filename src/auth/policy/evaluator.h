// IAM policy evaluation as AWS documents it (reference_policies_evaluation-logic):
//  1. Any matching Deny in any applicable policy (identity, resource/key, boundary, session)
//     is an explicit deny.
//  2. KMS keys: the key policy is required. A key-policy Allow naming the principal (or "*")
//     allows; one naming the key's account root delegates to the account's IAM policies;
//     without either, only a grant (KmsGrantView) can allow.
//  3. Same account: an Allow from the resource policy naming the principal, OR an Allow from
//     the identity policies that is also allowed by the permissions boundary (when set) and
//     the session policies (when set). A resource-policy allow naming the IAM user ARN or
//     the assumed-role session ARN directly is not limited by the boundary or session
//     policies; one naming the role ARN or the account is.
//  4. Cross account: both the resource policy (naming the principal or its account) and the
//     caller's identity side (as in 3) must allow.
//  5. The root principal of the resource's account is allowed everything not explicitly
//     denied (except on KMS keys, where the key policy must allow the account).
// The decision names the statements that decided it and the reason (for AWS's denial
// message and the simulator's MatchedStatements).
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy/policy.h"
#include "auth/policy/request_context.h"
#include "auth/principal.h"

namespace arcana::auth::policy {

// A policy in force for one evaluation: its compiled form and where it came from.
struct AppliedPolicy {
  std::shared_ptr<const CompiledPolicy> policy;
  std::string source_id;
  PolicySource::Kind kind = PolicySource::Kind::kIdentity;
};

// A KMS grant as the evaluator needs it (domain/kms/grants.h holds the real thing).
struct KmsGrantView {
  std::string grantee_principal;          // ARN, or a service principal (grantee_is_service)
  std::vector<std::string> operations;    // "Decrypt", "Encrypt", ... (KMS operation names)
  // Constraints on the request's encryption context (kms:EncryptionContext:* keys).
  std::map<std::string, std::string> encryption_context_equals;
  std::map<std::string, std::string> encryption_context_subset;
  // The SourceArn constraint: the grant applies only when aws:SourceArn is this ("" none).
  std::string source_arn;
  // A grant to an AWS service principal (GranteeServicePrincipal): it allows only that
  // service's own requests, and no caller of this server signs as a service principal.
  bool grantee_is_service = false;
};

// The resource a request acts on, resolved by the service.
struct ResourceView {
  std::string arn;      // "*" for actions without a resource (ListSecrets, CreateKey)
  std::string account;  // owner; empty = the caller's account
  // The secret's resource policy, or the KMS key policy (kind kResource).
  std::optional<AppliedPolicy> resource_policy;
  bool is_kms_key = false;  // the key policy is required (rule 2)
  std::vector<KmsGrantView> grants;
  // kms:CreateGrant: the grant the caller asks for (its operations and constraints; the
  // grantee is unused). A grant allows CreateGrant only for a grant it could itself allow:
  // operations among its own and encryption-context constraints at least as strict as its
  // own (AWS: "Principals who get permission to create grants from a grant are limited in
  // the grants that they can create"). Unset: no grant allows CreateGrant.
  std::optional<KmsGrantView> requested_grant;
};

struct EvalRequest {
  const Principal* principal = nullptr;  // required
  std::string action;                    // "secretsmanager:GetSecretValue"
  const ResourceView* resource = nullptr;  // required
  const ContextKeys* context = nullptr;    // required: every key the conditions may read
  // The identity side as applied policies (compiled): the principal's identity policies,
  // boundary and session policies (Authorizer/Simulator build these through PolicyCache).
  std::vector<AppliedPolicy> identity;
  std::optional<AppliedPolicy> boundary;
  std::vector<AppliedPolicy> session;
};

enum class EvalDecision { kAllowed, kExplicitDeny, kImplicitDeny };

// Why: which policy type decided. For denials this picks the "because ..." of AWS's message.
enum class DecisionReason {
  kRootOfAccount,            // allowed: the resource's account root
  kIdentityPolicyAllow,      // allowed by identity policies (and boundary/session)
  kResourcePolicyAllow,      // allowed by the resource/key policy alone
  kGrantAllow,               // allowed by a KMS grant
  kExplicitDenyIdentity,     // "with an explicit deny in an identity-based policy"
  kExplicitDenyResource,     // "with an explicit deny in a resource-based policy"
  kExplicitDenyBoundary,     // "with an explicit deny in a permissions boundary"
  kExplicitDenySession,      // "with an explicit deny in a session policy"
  kNoIdentityAllow,          // "because no identity-based policy allows the ACTION action"
  kNoResourceAllow,          // "because no resource-based policy allows the ACTION action"
  kNoBoundaryAllow,          // "because no permissions boundary allows the ACTION action"
  kNoSessionAllow,           // "because no session policy allows the ACTION action"
};

struct MatchedStatement {
  std::string source_id;
  PolicySource::Kind kind = PolicySource::Kind::kIdentity;
  size_t statement_index = 0;
  std::string sid;
  Effect effect = Effect::kAllow;
  Position start, end;
};

struct Decision {
  EvalDecision decision = EvalDecision::kImplicitDeny;
  DecisionReason reason = DecisionReason::kNoIdentityAllow;
  // The statements that decided: the matching Deny statements for an explicit deny, the
  // matching Allow statements for an allow; empty for an implicit deny.
  std::vector<MatchedStatement> matched;
  // Permissions boundary (when the principal has one): did it allow the action?
  std::optional<bool> allowed_by_boundary;
  // Condition keys read by statements whose action and resource matched, absent from the
  // context (the simulator's MissingContextValues), as written in the policy.
  std::vector<std::string> missing_context_keys;

  bool allowed() const { return decision == EvalDecision::kAllowed; }
};

Decision Evaluate(const EvalRequest& req);

// AWS's AccessDeniedException message for a denial:
// "User: CALLER is not authorized to perform: ACTION on resource: ARN because no
//  identity-based policy allows the ACTION action" (and the other forms above).
std::string DenialMessage(const Principal& principal, std::string_view action,
                          std::string_view resource_arn, const Decision& d);

// "allowed" / "explicitDeny" / "implicitDeny" (the IAM API's PolicyEvaluationDecisionType).
std::string_view DecisionName(EvalDecision d);

// Wildcard match as IAM's Action/Resource/StringLike: '*' any run, '?' one character.
// Case-sensitive; callers lower-case both sides for actions.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace arcana::auth::policy
