// The policy simulator's core (IAM SimulateCustomPolicy / SimulatePrincipalPolicy): a pure
// function over the same Evaluate() a real call uses (auth/policy/evaluator.h), so a
// simulation answers exactly what the engine decides on a real call with the same
// principal, policies, resource and context keys. The Query-protocol handlers
// (services/iam) decode the request into a SimulationInput and encode SimulationResults.
// Thread-safety: pure; the PolicyCache is thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/policy/evaluator.h"
#include "auth/policy/policy_cache.h"
#include "auth/principal.h"
#include "common/status.h"

namespace arcana::auth::policy {

// One ContextEntries member: ContextKeyType is one of string, stringList, numeric,
// numericList, boolean, booleanList, ip, ipList, binary, binaryList, date, dateList.
struct ContextEntry {
  std::string key;
  std::string type;
  std::vector<std::string> values;
};

struct SimulationInput {
  // The simulated caller. SimulatePrincipalPolicy: the user's or role's Principal as the
  // authenticate stage would build it (its stored identity policies with their source ids,
  // boundary). SimulateCustomPolicy: a Principal without policies, type kUser,
  // arn/principal_arn = CallerArn when given (else an ARN in the caller's account),
  // account = the caller's account. Its policies are evaluated as the authorizer
  // (auth::PolicyAuthorizer::Decide) evaluates them on a real call, a stored one that does
  // not compile included: an identity policy refuses everything (implicitDeny), a boundary or
  // session policy allows nothing. So a simulation never allows what the server refuses.
  Principal principal;
  // PolicyInputList: the request's documents, evaluated as further identity policies after
  // the principal's (source ids "PolicyInputList.1", ...). One that does not parse is the
  // request's fault: kMalformedPolicyDocument.
  std::vector<std::string> policy_input_list;
  // PermissionsBoundaryPolicyInputList: when non-empty, replaces principal's boundary
  // (source ids "PermissionsBoundaryPolicyInputList.1"; AWS accepts at most one).
  std::vector<std::string> permissions_boundary_policies;
  std::vector<std::string> action_names;  // required, e.g. "secretsmanager:GetSecretValue"
  std::vector<std::string> resource_arns; // empty: ["*"]
  // ResourcePolicy: applied to every resource (source id "ResourcePolicy"). On a KMS key ARN
  // it is the key policy (and is then required, as on a real call).
  std::optional<std::string> resource_policy;
  // ResourceOwner (an account id or "arn:aws:iam::ACCOUNT:root"); empty: the principal's
  // account (or the account in the resource ARN when it names one).
  std::string resource_owner;
  std::vector<ContextEntry> context_entries;
  // Source id -> SourcePolicyType ("user", "group", "role", "aws-managed", "user-managed",
  // "resource", "none"); ids not listed get "IAM Policy" (identity, boundary, session) or
  // "Resource Policy" (resource), as AWS answers SimulateCustomPolicy.
  std::map<std::string, std::string> source_policy_types;
};

struct SimulatedStatement {
  std::string source_policy_id;
  std::string source_policy_type;
  Position start_position;  // the statement's '{' (1-based line, column)
  Position end_position;    // its '}'
};

struct ResourceResult {
  std::string resource;  // EvalResourceName
  EvalDecision decision = EvalDecision::kImplicitDeny;
  std::vector<SimulatedStatement> matched_statements;
  std::vector<std::string> missing_context_values;
  std::optional<bool> allowed_by_permissions_boundary;  // PermissionsBoundaryDecisionDetail
};

// One EvaluationResult: one per (action, resource) pair, action-major, in input order.
struct SimulationResult {
  std::string action;       // EvalActionName
  std::string resource;     // EvalResourceName
  EvalDecision decision = EvalDecision::kImplicitDeny;  // EvalDecision
  std::vector<SimulatedStatement> matched_statements;
  std::vector<std::string> missing_context_values;
  std::optional<bool> allowed_by_permissions_boundary;
  // ResourceSpecificResults (the same data for this one resource).
  std::vector<ResourceResult> resource_specific;
  // The reason, for callers that want the denial message (DenialMessage()).
  Decision raw;
};

// One page of a simulation: the results of pairs [start, next) of the total (action, resource)
// pairs, action-major in input order. next < total: more remain (IAM's IsTruncated, with next
// as the Marker).
struct SimulationPage {
  std::vector<SimulationResult> results;
  size_t total = 0;
  size_t next = 0;
};

// A page's bounds. Only the page's pairs are evaluated, and a page stops early (IAM's MaxItems:
// "IAM might return fewer results, even when there are more results available") once its
// evaluation has taken kPageSteps (an upper bound of the character comparisons its pattern
// and condition matching may make, computed from the policies, the context and the longest
// action and resource names) or its results hold kPageOutputBytes (their matched statements
// and missing context keys); it always holds at least one pair. So a request costs at most
// about a tenth of a second and a few MB whatever the policies, lists and MaxItems.
inline constexpr uint64_t kPageSteps = 100'000'000;
inline constexpr uint64_t kPageOutputBytes = 2'000'000;

// Errors: kMalformedPolicyDocument (a policy of the request does not parse: PolicyInputList,
// PermissionsBoundaryPolicyInputList, ResourcePolicy; the message names which input),
// kValidation (a context entry whose value does not fit its ContextKeyType, an unknown
// type, an empty action list), kInvalidParameter (one pair alone would exceed a page's
// bounds: policies, context values or names too large to simulate together; IAM's InvalidInput,
// an error both operations document).
Result<SimulationPage> Simulate(const SimulationInput& in, const PolicyCache& cache,
                                size_t start = 0, size_t max_items = SIZE_MAX);

// The context a simulation evaluates with: ContextEntries, plus the keys derived from the
// principal when the entries do not give them (aws:username, aws:userid, aws:PrincipalArn,
// aws:PrincipalAccount, aws:PrincipalTag/*). Exposed so tests can feed a real call the
// same context.
Result<ContextKeys> SimulationContext(const SimulationInput& in);

}  // namespace arcana::auth::policy
