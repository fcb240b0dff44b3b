#include "auth/policy/simulator.h"

#include "auth/policy/condition.h"

namespace arcana::auth::policy {
namespace {

Status Invalid(std::string msg) { return Status(ErrorCode::kValidation, std::move(msg)); }

// "123456789012" or "arn:aws:iam::123456789012:root" -> the account id.
std::string OwnerAccount(std::string_view owner) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (owner.starts_with(kPrefix)) {
    owner.remove_prefix(kPrefix.size());
    return std::string(owner.substr(0, owner.find(':')));
  }
  return std::string(owner);
}

// The account field of an ARN ("arn:aws:secretsmanager:us-east-1:123456789012:secret:x").
std::string ArnAccount(std::string_view arn) {
  for (int i = 0; i < 4; ++i) {
    auto c = arn.find(':');
    if (c == std::string_view::npos) return "";
    arn.remove_prefix(c + 1);
  }
  return std::string(arn.substr(0, arn.find(':')));
}

bool IsKmsKeyArn(std::string_view arn) {
  return arn.starts_with("arn:aws:kms:") && arn.find(":key/") != std::string_view::npos;
}

Status CheckValue(const ContextEntry& e, const std::string& v) {
  std::string_view base = e.type;
  if (base.ends_with("List")) base.remove_suffix(4);
  bool b;
  bool ok = base == "string" || base == "binary" ||
            (base == "numeric" && ParseNumber(v).has_value()) ||
            (base == "boolean" && ParseBool(v, &b)) ||
            (base == "date" && ParseDateSeconds(v).has_value()) ||
            (base == "ip" && IsIpOrCidr(v));
  if (ok) return Status::Ok();
  return Invalid("The value " + v + " of context key " + e.key + " is not of type " + e.type +
                 ".");
}

SimulatedStatement ToSimulated(const MatchedStatement& m, const SimulationInput& in) {
  SimulatedStatement s;
  s.source_policy_id = m.source_id;
  auto it = in.source_policy_types.find(m.source_id);
  if (it != in.source_policy_types.end()) {
    s.source_policy_type = it->second;
  } else {
    s.source_policy_type = m.kind == PolicySource::Kind::kResource ? "Resource Policy" : "IAM Policy";
  }
  s.start_position = m.start;
  s.end_position = m.end;
  return s;
}

}  // namespace

Result<ContextKeys> SimulationContext(const SimulationInput& in) {
  static const char* const kTypes[] = {"string", "stringList", "numeric", "numericList",
                                       "boolean", "booleanList", "ip", "ipList",
                                       "binary", "binaryList", "date", "dateList"};
  ContextKeys ctx;
  const Principal& p = in.principal;
  // Keys the principal implies, unless the entries say otherwise (set first, overwritten).
  if (!p.arn.empty()) ctx.Set("aws:PrincipalArn", p.principal_arn.empty() ? p.arn : p.principal_arn);
  if (!p.account.empty()) ctx.Set("aws:PrincipalAccount", p.account);
  if (!p.user_name.empty()) ctx.Set("aws:username", p.user_name);
  if (!p.user_id.empty()) ctx.Set("aws:userid", p.user_id);
  for (const auto& [k, v] : p.tags) ctx.Set("aws:PrincipalTag/" + k, v);
  for (const auto& e : in.context_entries) {
    if (e.key.empty() || e.key.find(':') == std::string::npos) {
      return Invalid("Context key name " + e.key + " must be prefaced by a vendor.");
    }
    bool known = false;
    for (const char* t : kTypes) known = known || e.type == t;
    if (!known) return Invalid("Unknown ContextKeyType " + e.type + " for " + e.key + ".");
    if (!e.type.ends_with("List") && e.values.size() != 1) {
      return Invalid("Context key " + e.key + " of type " + e.type + " takes exactly one value.");
    }
    for (const auto& v : e.values) ARCANA_RETURN_IF_ERROR(CheckValue(e, v));
    ctx.SetList(e.key, e.values);
  }
  return ctx;
}

Result<std::vector<SimulationResult>> Simulate(const SimulationInput& in,
                                               const PolicyCache& cache) {
  if (in.action_names.empty()) return Invalid("ActionNames must not be empty.");
  ARCANA_ASSIGN_OR_RETURN(ContextKeys ctx, SimulationContext(in));
  const Principal& p = in.principal;

  EvalRequest base;
  base.principal = &p;
  base.context = &ctx;
  // The principal's own policies are stored ones, and meet what a real call meets in
  // auth::PolicyAuthorizer::Decide. IAM refuses a document that does not compile before
  // storing it, so such a one was written by an older version or edited in the store; the
  // authorizer fails closed on it, and so does the simulation: an identity policy refuses
  // everything (what its Deny statements deny is unknown), a boundary or session policy
  // allows nothing. Reporting an error instead blamed the request, and dropping it would
  // report "allowed" for calls the server refuses.
  bool identity_fails_closed = false;
  for (const auto& src : p.identity_policies) {
    auto ap = cache.Apply(src);
    if (!ap.ok()) {
      identity_fails_closed = true;  // the authorizer logs it on every call it refuses
      continue;
    }
    base.identity.push_back(std::move(ap).value());
  }
  for (size_t i = 0; i < in.policy_input_list.size(); ++i) {
    PolicySource src{in.policy_input_list[i], "PolicyInputList." + std::to_string(i + 1),
                     PolicySource::Kind::kIdentity};
    auto ap = cache.Apply(src);
    if (!ap.ok()) {
      return Status(ErrorCode::kMalformedPolicyDocument,
                    src.source_id + ": " + ap.status().message());
    }
    base.identity.push_back(std::move(ap).value());
  }
  for (const auto& src : p.session_policies) {
    auto ap = cache.Apply(src);
    base.session.push_back(ap.ok() ? std::move(ap).value()
                                   : AppliedPolicy{nullptr, src.source_id,
                                                   PolicySource::Kind::kSession});
  }
  if (!in.permissions_boundary_policies.empty()) {
    if (in.permissions_boundary_policies.size() > 1) {
      return Invalid("PermissionsBoundaryPolicyInputList takes at most one policy.");
    }
    PolicySource src{in.permissions_boundary_policies[0], "PermissionsBoundaryPolicyInputList.1",
                     PolicySource::Kind::kBoundary};
    ARCANA_ASSIGN_OR_RETURN(base.boundary, cache.Apply(src));
  } else if (p.permissions_boundary) {
    auto ap = cache.Apply(*p.permissions_boundary);
    base.boundary = ap.ok() ? std::move(ap).value()
                            : AppliedPolicy{nullptr, p.permissions_boundary->source_id,
                                            PolicySource::Kind::kBoundary};
  }
  std::optional<AppliedPolicy> resource_policy;
  if (in.resource_policy) {
    PolicySource src{*in.resource_policy, "ResourcePolicy", PolicySource::Kind::kResource};
    ARCANA_ASSIGN_OR_RETURN(resource_policy, cache.Apply(src));
  }

  std::vector<std::string> resources = in.resource_arns;
  if (resources.empty()) resources.push_back("*");
  std::vector<SimulationResult> out;
  for (const auto& action : in.action_names) {
    for (const auto& arn : resources) {
      ResourceView rv;
      rv.arn = arn;
      rv.account = !in.resource_owner.empty() ? OwnerAccount(in.resource_owner)
                   : arn != "*" && !ArnAccount(arn).empty() ? ArnAccount(arn)
                                                           : p.account;
      rv.resource_policy = resource_policy;
      rv.is_kms_key = IsKmsKeyArn(arn) && resource_policy.has_value();
      EvalRequest req = base;
      req.action = action;
      req.resource = &rv;
      Decision d;
      if (identity_fails_closed) {
        // The authorizer's answer for such a principal, whatever the other policies say.
        d.decision = EvalDecision::kImplicitDeny;
        d.reason = DecisionReason::kNoIdentityAllow;
      } else {
        d = Evaluate(req);
      }

      SimulationResult r;
      r.action = action;
      r.resource = arn;
      r.decision = d.decision;
      for (const auto& m : d.matched) r.matched_statements.push_back(ToSimulated(m, in));
      r.missing_context_values = d.missing_context_keys;
      r.allowed_by_permissions_boundary = d.allowed_by_boundary;
      ResourceResult rr;
      rr.resource = arn;
      rr.decision = r.decision;
      rr.matched_statements = r.matched_statements;
      rr.missing_context_values = r.missing_context_values;
      rr.allowed_by_permissions_boundary = r.allowed_by_permissions_boundary;
      r.resource_specific.push_back(std::move(rr));
      r.raw = std::move(d);
      out.push_back(std::move(r));
    }
  }
  return out;
}

}  // namespace arcana::auth::policy
