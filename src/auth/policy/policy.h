// The IAM JSON policy grammar, parsed once into a compiled form (auth/policy/evaluator.h
// evaluates it). Supports Version, Statement (object or array), Sid, Effect,
// Principal/NotPrincipal, Action/NotAction, Resource/NotResource (wildcards * and ?),
// Condition (String*, Numeric*, Date*, Bool, Null, IpAddress/NotIpAddress, Arn*,
// BinaryEquals, the IfExists forms, ForAllValues:/ForAnyValue:) and policy variables
// (${aws:username}, ${aws:PrincipalTag/team}, ${*}, ${?}, ${$}, ${key, 'default'}; only
// under Version 2012-10-17, as in AWS).
// Bounded: at most kMaxPolicyBytes of text, kMaxPolicyDepth levels of nesting, kMaxStatements
// statements. Errors are kMalformedPolicyDocument with a message AWS-shaped enough to be a
// MalformedPolicyDocument message ("Syntax errors in policy.", "Policy document should not
// specify a principal.", ...).
// Thread-safety: a CompiledPolicy is immutable; share it freely (shared_ptr<const>).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "common/status.h"

namespace arcana::auth::policy {

inline constexpr size_t kMaxPolicyBytes = 131072;
inline constexpr size_t kMaxPolicyDepth = 12;
inline constexpr size_t kMaxStatements = 512;

// 1-based line and column of a byte in the policy text (the simulator's StartPosition).
struct Position {
  int line = 0;
  int column = 0;
};

enum class Effect { kAllow, kDeny };

// A string from the policy that may contain policy variables, compiled into a glob pattern
// (see Glob in evaluator) once the variables are substituted.
struct Template {
  std::string text;        // as written
  bool has_variables = false;
};

enum class Operator {
  kStringEquals, kStringNotEquals, kStringEqualsIgnoreCase, kStringNotEqualsIgnoreCase,
  kStringLike, kStringNotLike,
  kNumericEquals, kNumericNotEquals, kNumericLessThan, kNumericLessThanEquals,
  kNumericGreaterThan, kNumericGreaterThanEquals,
  kDateEquals, kDateNotEquals, kDateLessThan, kDateLessThanEquals, kDateGreaterThan,
  kDateGreaterThanEquals,
  kBool, kBinaryEquals, kIpAddress, kNotIpAddress,
  kArnEquals, kArnLike, kArnNotEquals, kArnNotLike,
  kNull,
};

enum class SetQualifier { kNone, kForAllValues, kForAnyValue };

struct Condition {
  Operator op = Operator::kStringEquals;
  SetQualifier set = SetQualifier::kNone;
  bool if_exists = false;
  std::string key;        // lower-cased (context key names are case-insensitive)
  std::string key_as_written;
  std::vector<Template> values;
};

// Principal / NotPrincipal: "*" or {"AWS": [...], "Service": [...], "Federated": [...],
// "CanonicalUser": [...]}.
struct PrincipalSet {
  bool any = false;  // "*" or {"AWS": "*"}
  std::vector<std::string> aws;       // account ids, account root / user / role / session ARNs
  std::vector<std::string> service;   // "secretsmanager.amazonaws.com"
  std::vector<std::string> federated;
  std::vector<std::string> canonical_user;
};

struct Statement {
  size_t index = 0;  // 0-based position in the Statement array
  std::string sid;
  Effect effect = Effect::kAllow;
  bool has_principal = false;  // Principal or NotPrincipal present
  bool not_principal = false;
  PrincipalSet principals;
  bool not_action = false;
  std::vector<std::string> actions;  // lower-cased glob patterns ("secretsmanager:get*")
  bool has_resource = false;         // Resource or NotResource present
  bool not_resource = false;
  std::vector<Template> resources;
  std::vector<Condition> conditions;  // all must hold (AND)
  Position start, end;  // the statement object's braces, for MatchedStatements
};

struct CompiledPolicy {
  std::string version;  // "2012-10-17", "2008-10-17" (or "" when absent: 2008 semantics)
  std::string id;
  bool variables_enabled = false;  // Version 2012-10-17
  std::vector<Statement> statements;
};

// What the grammar requires depends on where the document is used: identity policies
// (identity, boundary, session) must not name a principal and must name resources; resource
// policies (secret resource policies, KMS key policies) must name a principal.
enum class PolicyUse { kIdentity, kResource };
PolicyUse UseOf(PolicySource::Kind kind);

// Parses and compiles a policy document. Errors: kMalformedPolicyDocument.
Result<std::shared_ptr<const CompiledPolicy>> ParsePolicy(std::string_view json, PolicyUse use);

// True when the string has IAM's condition-operator spelling this engine understands
// ("StringEquals", "ForAnyValue:StringLikeIfExists", ...). For ValidateResourcePolicy.
bool IsKnownConditionOperator(std::string_view name);

}  // namespace arcana::auth::policy
