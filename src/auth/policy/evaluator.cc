#include "auth/policy/evaluator.h"

#include <algorithm>
#include <cctype>

#include "auth/policy/condition.h"

namespace arcana::auth::policy {
namespace {

using Kind = PolicySource::Kind;

// How a resource-policy statement's Principal names the caller, strongest first.
enum class Naming {
  kNone,
  kAccount,   // the caller's account (id or root ARN): delegates to the account's IAM policies
  kRole,      // the role the session belongs to: boundary and session policies still apply
  kDirect,    // the user ARN, the session ARN, a unique id, a service, or "*"
};

bool IsAccountId(std::string_view s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), ::isdigit);
}

// "arn:aws:iam::123456789012:root" -> "123456789012"; otherwise "".
std::string_view RootAccount(std::string_view arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || !arn.ends_with(":root")) return {};
  auto acct = arn.substr(kPrefix.size(), arn.size() - kPrefix.size() - 5);
  return IsAccountId(acct) ? acct : std::string_view{};
}

Naming NameOf(std::string_view entry, const Principal& p) {
  if (entry == "*") return Naming::kDirect;
  if (IsAccountId(entry) || !RootAccount(entry).empty()) {
    std::string_view acct = IsAccountId(entry) ? entry : RootAccount(entry);
    return acct == p.account ? Naming::kAccount : Naming::kNone;
  }
  if (entry == p.arn) return Naming::kDirect;
  if (p.type == Principal::Type::kAssumedRole && entry == p.principal_arn) return Naming::kRole;
  if (entry == p.principal_arn) return Naming::kDirect;
  // Unique ids: AIDA... for a user, AROA... for every session of a role.
  if (!p.user_id.empty() && (entry == p.user_id || p.user_id.starts_with(std::string(entry) + ":"))) {
    return p.type == Principal::Type::kAssumedRole ? Naming::kRole : Naming::kDirect;
  }
  return Naming::kNone;
}

// Whether a NotPrincipal entry exempts the caller itself. IAM User Guide (NotPrincipal): the
// account ARN is listed beside the exempt user or role session because "AWS might validate the
// account first"; it does not exempt the account's users and sessions, only its root (AWS's
// own example, "deny everyone except Bob", lists Bob and the account). A user is exempt by its
// ARN or unique id; an assumed-role session only by its session ARN ("When you specify an
// assumed-role session in a NotPrincipal element, you cannot use a wildcard (*) to mean 'all
// sessions'. Principals must always name a specific session"), not by its role's ARN or id.
bool NotPrincipalExempts(const Statement& s, const Principal& p) {
  if (s.principals.any) return true;
  for (const auto& e : s.principals.aws) {
    if (e == "*") return true;
    if (IsAccountId(e) || !RootAccount(e).empty()) {
      std::string_view acct = IsAccountId(e) ? std::string_view(e) : RootAccount(e);
      if (p.type == Principal::Type::kRoot && acct == p.account) return true;
      continue;
    }
    if (e == p.arn) return true;
    if (p.type == Principal::Type::kAssumedRole) continue;
    if (e == p.principal_arn || (!p.user_id.empty() && e == p.user_id)) return true;
  }
  if (p.type == Principal::Type::kService) {
    for (const auto& e : s.principals.service) {
      if (e == p.arn || e == p.principal_arn) return true;
    }
  }
  if (p.type == Principal::Type::kWebIdentity) {
    for (const auto& e : s.principals.federated) {
      if (e == p.arn) return true;
    }
  }
  return false;
}

Naming PrincipalNaming(const Statement& s, const Principal& p) {
  if (!s.has_principal) return Naming::kDirect;  // not a resource-policy statement
  if (s.not_principal) {
    // IAM User Guide (NotPrincipal): a Deny with NotPrincipal "will always deny any IAM
    // principal that has a permissions boundary policy attached, regardless of the values
    // specified in the NotPrincipal element".
    if (s.effect == Effect::kDeny) {
      if (p.permissions_boundary) return Naming::kDirect;
      return NotPrincipalExempts(s, p) ? Naming::kNone : Naming::kDirect;
    }
    // An Allow with NotPrincipal (AWS: "not supported") leaves out whatever it names the
    // caller by, its account or role included: the narrower grant.
  }
  Naming best = Naming::kNone;
  if (s.principals.any) best = Naming::kDirect;
  for (const auto& e : s.principals.aws) best = std::max(best, NameOf(e, p));
  if (p.type == Principal::Type::kService) {
    for (const auto& e : s.principals.service) {
      if (e == p.arn || e == p.principal_arn) best = Naming::kDirect;
    }
  }
  if (p.type == Principal::Type::kWebIdentity) {
    for (const auto& e : s.principals.federated) {
      if (e == p.arn) best = Naming::kDirect;
    }
  }
  if (s.not_principal) return best == Naming::kNone ? Naming::kDirect : Naming::kNone;
  return best;
}

bool ActionMatches(const Statement& s, std::string_view action_lc) {
  bool any = false;
  for (const auto& a : s.actions) {
    if (GlobMatch(a, action_lc)) {
      any = true;
      break;
    }
  }
  return any != s.not_action;
}

bool ResourceMatches(const Statement& s, bool vars, std::string_view arn, const ContextKeys& ctx,
                     std::vector<std::string>* missing) {
  if (!s.has_resource) return true;
  bool any = false;
  for (const auto& r : s.resources) {
    bool escaped = false;
    auto p = Substitute(r, vars, ctx, &escaped, missing);
    if (!p) continue;
    if (escaped ? GlobMatchEscaped(*p, arn) : GlobMatch(*p, arn)) {
      any = true;
      break;
    }
  }
  return any != s.not_resource;
}

struct Match {
  const AppliedPolicy* policy;
  const Statement* statement;
  Naming naming;
};

// Every statement of the policy that applies to the request, split by effect.
void Collect(const AppliedPolicy& ap, const EvalRequest& req, std::string_view action_lc,
             std::vector<Match>* allows, std::vector<Match>* denies,
             std::vector<std::string>* missing) {
  if (!ap.policy) return;
  const CompiledPolicy& pol = *ap.policy;
  for (const auto& s : pol.statements) {
    Naming naming = PrincipalNaming(s, *req.principal);
    if (naming == Naming::kNone) continue;
    if (!ActionMatches(s, action_lc)) continue;
    if (!ResourceMatches(s, pol.variables_enabled, req.resource->arn, *req.context, missing)) {
      continue;
    }
    bool holds = true;
    for (const auto& c : s.conditions) {
      if (holds) {
        holds = ConditionHolds(c, pol.variables_enabled, *req.context, missing);
      } else if (missing != nullptr && c.op != Operator::kNull && !req.context->Has(c.key)) {
        missing->push_back(c.key_as_written);  // still a key the statement needs
      }
    }
    if (!holds) continue;
    (s.effect == Effect::kDeny ? denies : allows)->push_back(Match{&ap, &s, naming});
  }
}

MatchedStatement ToMatched(const Match& m) {
  MatchedStatement out;
  out.source_id = m.policy->source_id;
  out.kind = m.policy->kind;
  out.statement_index = m.statement->index;
  out.sid = m.statement->sid;
  out.effect = m.statement->effect;
  out.start = m.statement->start;
  out.end = m.statement->end;
  return out;
}

// Grant constraint keys compare case-insensitively, values case-sensitively (AWS's
// GrantConstraints).
std::map<std::string, std::string> LowerKeys(const std::map<std::string, std::string>& m) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : m) out[LowerAscii(k)] = v;
  return out;
}

bool Includes(const std::map<std::string, std::string>& ec,
              const std::map<std::string, std::string>& pairs) {
  for (const auto& [k, v] : pairs) {
    auto it = ec.find(k);
    if (it == ec.end() || it->second != v) return false;
  }
  return true;
}

// The KMS operations whose request carries an encryption context: the only ones a grant's
// encryption-context constraint applies to. AWS: "Encryption context grant constraints are
// not applied to operations that do not support an encryption context, such as ... management
// operations, such as DescribeKey or RetireGrant" (API_GrantConstraints).
bool TakesEncryptionContext(std::string_view op) {
  return op == "Encrypt" || op == "Decrypt" || op == "ReEncryptFrom" || op == "ReEncryptTo" ||
         op == "GenerateDataKey" || op == "GenerateDataKeyWithoutPlaintext" ||
         op == "GenerateDataKeyPair" || op == "GenerateDataKeyPairWithoutPlaintext";
}

// Does every encryption context `child`'s constraints admit also satisfy `parent`'s? (A
// grant created from a grant must be "equally strict or stricter", CreateGrant Constraints.)
bool ConstraintsWithin(const KmsGrantView& child, const KmsGrantView& parent) {
  auto p_eq = LowerKeys(parent.encryption_context_equals);
  auto p_sub = LowerKeys(parent.encryption_context_subset);
  auto c_eq = LowerKeys(child.encryption_context_equals);
  auto c_sub = LowerKeys(child.encryption_context_subset);
  if (!c_eq.empty()) {
    // The child admits exactly c_eq (or nothing, when c_eq lacks its own subset pairs).
    if (!Includes(c_eq, c_sub)) return true;
    return (p_eq.empty() || c_eq == p_eq) && Includes(c_eq, p_sub);
  }
  // The child admits every context holding c_sub: never a single context.
  return p_eq.empty() && Includes(c_sub, p_sub);
}

// KMS grant: the grantee is the caller (user, role or session), the operation is listed and
// the encryption-context constraints hold (for the operations that have a context). For
// kms:CreateGrant, the requested grant must be one this grant could allow itself.
bool GrantAllows(const KmsGrantView& g, const Principal& p, std::string_view action,
                 const ContextKeys& ctx, const std::optional<KmsGrantView>& requested) {
  if (g.grantee_is_service) return false;
  if (g.grantee_principal != p.arn && g.grantee_principal != p.principal_arn) return false;
  if (!action.starts_with("kms:")) return false;
  // SourceArn: "effectively the same as having the aws:SourceArn global condition key in the
  // grant" (CreateGrant's Constraints), so a request made on behalf of no resource fails it.
  if (!g.source_arn.empty()) {
    const auto* source = ctx.Find("aws:SourceArn");
    if (source == nullptr || source->empty() || source->front() != g.source_arn) return false;
  }
  std::string_view op = action.substr(4);
  auto listed = [&](std::string_view o) {
    return std::find(g.operations.begin(), g.operations.end(), o) != g.operations.end();
  };
  if (!listed(op)) return false;
  if (op == "CreateGrant") {
    if (!requested) return false;
    for (const auto& o : requested->operations) {
      if (!listed(o)) return false;
    }
    return ConstraintsWithin(*requested, g);
  }
  if (!TakesEncryptionContext(op)) return true;
  // The request's encryption context, from the kms:EncryptionContext:* keys.
  std::map<std::string, std::string> ec;
  constexpr std::string_view kPrefix = "kms:encryptioncontext:";
  for (const auto& [k, v] : ctx.all()) {
    if (k.starts_with(kPrefix) && !v.empty()) ec[k.substr(kPrefix.size())] = v.front();
  }
  if (!g.encryption_context_equals.empty() && LowerKeys(g.encryption_context_equals) != ec) {
    return false;
  }
  return Includes(ec, LowerKeys(g.encryption_context_subset));
}

}  // namespace

bool GlobMatch(std::string_view p, std::string_view t) {
  size_t pi = 0, ti = 0, star_p = std::string_view::npos, star_t = 0;
  while (ti < t.size()) {
    if (pi < p.size() && (p[pi] == '?' || p[pi] == t[ti])) {
      ++pi;
      ++ti;
    } else if (pi < p.size() && p[pi] == '*') {
      star_p = pi++;
      star_t = ti;
    } else if (star_p != std::string_view::npos) {
      pi = star_p + 1;
      ti = ++star_t;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

Decision Evaluate(const EvalRequest& req) {
  const Principal& p = *req.principal;
  const ResourceView& res = *req.resource;
  std::string action_lc = LowerAscii(req.action);
  Decision d;
  std::vector<std::string> missing;

  std::vector<Match> id_allow, id_deny, res_allow, res_deny, b_allow, b_deny, s_allow, s_deny;
  for (const auto& ap : req.identity) Collect(ap, req, action_lc, &id_allow, &id_deny, &missing);
  if (res.resource_policy) {
    Collect(*res.resource_policy, req, action_lc, &res_allow, &res_deny, &missing);
  }
  if (req.boundary) Collect(*req.boundary, req, action_lc, &b_allow, &b_deny, &missing);
  for (const auto& ap : req.session) Collect(ap, req, action_lc, &s_allow, &s_deny, &missing);

  std::sort(missing.begin(), missing.end());
  missing.erase(std::unique(missing.begin(), missing.end()), missing.end());
  d.missing_context_keys = std::move(missing);
  if (req.boundary) d.allowed_by_boundary = !b_allow.empty() && b_deny.empty();

  // 1. Explicit deny anywhere.
  const std::pair<const std::vector<Match>*, DecisionReason> deny_sources[] = {
      {&id_deny, DecisionReason::kExplicitDenyIdentity},
      {&res_deny, DecisionReason::kExplicitDenyResource},
      {&b_deny, DecisionReason::kExplicitDenyBoundary},
      {&s_deny, DecisionReason::kExplicitDenySession},
  };
  for (const auto& [list, reason] : deny_sources) {
    if (list->empty()) continue;
    if (d.decision != EvalDecision::kExplicitDeny) d.reason = reason;
    d.decision = EvalDecision::kExplicitDeny;
    for (const auto& m : *list) d.matched.push_back(ToMatched(m));
  }
  if (d.decision == EvalDecision::kExplicitDeny) return d;

  bool same_account = res.account.empty() || res.account == p.account;
  bool is_root = p.type == Principal::Type::kRoot;
  bool boundary_ok = !req.boundary || !b_allow.empty();
  bool session_ok = req.session.empty() || !s_allow.empty();
  // The caller's own side: root may do anything in its own account; everyone else needs an
  // identity-policy allow inside the boundary and the session policies.
  bool identity_ok = is_root || (!id_allow.empty() && boundary_ok && session_ok);
  DecisionReason identity_reason = id_allow.empty() && !is_root ? DecisionReason::kNoIdentityAllow
                                   : !boundary_ok              ? DecisionReason::kNoBoundaryAllow
                                                               : DecisionReason::kNoSessionAllow;

  Naming res_best = Naming::kNone;
  for (const auto& m : res_allow) res_best = std::max(res_best, m.naming);
  // A resource-policy allow by itself: naming the user or session directly, or naming the
  // role within the boundary and session policies. Naming the account only delegates.
  bool resource_grants = res_best == Naming::kDirect ||
                         (res_best == Naming::kRole && boundary_ok && session_ok);
  // Without a key policy a KMS key behaves as with the default one (the account delegates).
  bool kms_delegates = res.is_kms_key && !res.resource_policy;

  auto allow = [&](DecisionReason reason, std::initializer_list<const std::vector<Match>*> lists) {
    d.decision = EvalDecision::kAllowed;
    d.reason = reason;
    for (const auto* l : lists) {
      for (const auto& m : *l) d.matched.push_back(ToMatched(m));
    }
    return d;
  };
  auto deny = [&](DecisionReason reason) {
    d.decision = EvalDecision::kImplicitDeny;
    d.reason = reason;
    return d;
  };

  if (same_account) {
    if (res.is_kms_key) {
      // The key policy decides; naming the account hands the decision to IAM policies.
      if (resource_grants) return allow(DecisionReason::kResourcePolicyAllow, {&res_allow});
      bool delegated = kms_delegates || res_best == Naming::kAccount;
      if (delegated && identity_ok) {
        return allow(is_root ? DecisionReason::kRootOfAccount : DecisionReason::kIdentityPolicyAllow,
                     {&res_allow, &id_allow});
      }
      for (const auto& g : res.grants) {
        if (GrantAllows(g, p, req.action, *req.context, res.requested_grant)) {
          return allow(DecisionReason::kGrantAllow, {});
        }
      }
      return deny(delegated ? identity_reason : DecisionReason::kNoResourceAllow);
    }
    if (is_root) return allow(DecisionReason::kRootOfAccount, {&res_allow});
    if (resource_grants) {
      return allow(DecisionReason::kResourcePolicyAllow, {&res_allow, &id_allow});
    }
    if (identity_ok) return allow(DecisionReason::kIdentityPolicyAllow, {&id_allow, &res_allow});
    return deny(identity_reason);
  }

  // Cross account: the resource side must name the caller (or its account) and the
  // caller's own side must allow too.
  bool resource_side = res_best != Naming::kNone;
  if (res.is_kms_key) {
    for (const auto& g : res.grants) {
      if (GrantAllows(g, p, req.action, *req.context, res.requested_grant)) {
        return allow(DecisionReason::kGrantAllow, {});
      }
    }
  }
  if (!identity_ok) return deny(identity_reason);
  if (!resource_side) return deny(DecisionReason::kNoResourceAllow);
  return allow(DecisionReason::kIdentityPolicyAllow, {&id_allow, &res_allow});
}

std::string_view DecisionName(EvalDecision d) {
  switch (d) {
    case EvalDecision::kAllowed: return "allowed";
    case EvalDecision::kExplicitDeny: return "explicitDeny";
    case EvalDecision::kImplicitDeny: return "implicitDeny";
  }
  return "implicitDeny";
}

std::string DenialMessage(const Principal& principal, std::string_view action,
                          std::string_view resource_arn, const Decision& d) {
  std::string out = "User: " + principal.arn + " is not authorized to perform: " +
                    std::string(action);
  if (!resource_arn.empty() && resource_arn != "*") {
    out += " on resource: " + std::string(resource_arn);
  }
  auto no = [&](const char* what) {
    return out + " because no " + what + " allows the " + std::string(action) + " action";
  };
  switch (d.reason) {
    case DecisionReason::kExplicitDenyIdentity:
      return out + " with an explicit deny in an identity-based policy";
    case DecisionReason::kExplicitDenyResource:
      return out + " with an explicit deny in a resource-based policy";
    case DecisionReason::kExplicitDenyBoundary:
      return out + " with an explicit deny in a permissions boundary";
    case DecisionReason::kExplicitDenySession:
      return out + " with an explicit deny in a session policy";
    case DecisionReason::kNoResourceAllow: return no("resource-based policy");
    case DecisionReason::kNoBoundaryAllow: return no("permissions boundary");
    case DecisionReason::kNoSessionAllow: return no("session policy");
    default: return no("identity-based policy");
  }
}

}  // namespace arcana::auth::policy
