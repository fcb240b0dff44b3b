#include "auth/policy/simulator.h"

#include <algorithm>

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

// The page bounds' cost model (simulator.h, kPageSteps): upper bounds of the character
// comparisons one (action, resource) pair's evaluation may make, so that a page can be cut
// before it runs long. GlobMatch is greedy with backtracking to the last '*': without a star
// it reads each character once; with one, each character of the text may restart the part of
// the pattern after its first star.
uint64_t GlobSteps(uint64_t pattern_len, uint64_t tail, uint64_t text_len) {
  return pattern_len + text_len + 1 + text_len * tail;
}

uint64_t TailAfterStar(std::string_view pattern) {
  const size_t star = pattern.find('*');
  return star == std::string_view::npos ? 0 : pattern.size() - star - 1;
}

struct PairCost {
  uint64_t steps = 0;         // matching, per pair
  uint64_t output_bytes = 0;  // the most one pair's result may hold
};

struct Lengths {
  uint64_t action = 0;     // the longest action name
  uint64_t arn = 0;        // the longest resource ARN
  uint64_t principal = 0;  // the principal's names a Principal entry is compared with
  uint64_t value = 0;      // the longest context value (a policy variable's substitute)
};

// A template's pattern after substitution: its text (a '\\' doubled) and, per variable, a
// context value with every character escaped; with variables the whole of it may follow a
// star.
std::pair<uint64_t, uint64_t> PatternBound(const Template& t, bool variables_enabled,
                                           const Lengths& len) {
  if (!t.has_variables || !variables_enabled) return {t.text.size(), TailAfterStar(t.text)};
  uint64_t vars = 0;
  for (size_t at = t.text.find("${"); at != std::string::npos; at = t.text.find("${", at + 2)) {
    ++vars;
  }
  const uint64_t n = 2 * t.text.size() + vars * 2 * len.value;
  return {n, n};
}

void AddPolicyCost(const AppliedPolicy& ap, const ContextKeys& ctx, const Lengths& len,
                   PairCost& cost) {
  cost.steps += 64;
  if (!ap.policy) return;
  const bool vars = ap.policy->variables_enabled;
  for (const auto& s : ap.policy->statements) {
    cost.steps += 64;
    // A matched statement's two entries (EvaluationResult's and ResourceSpecificResults'):
    // the source id and type, positions and the XML around them.
    cost.output_bytes += 2 * (ap.source_id.size() + 400);
    for (const auto* list : {&s.principals.aws, &s.principals.service, &s.principals.federated,
                             &s.principals.canonical_user}) {
      for (const auto& e : *list) cost.steps += 4 * (e.size() + len.principal + 1);
    }
    for (const auto& a : s.actions) {
      cost.steps += GlobSteps(a.size(), TailAfterStar(a), len.action);
    }
    for (const auto& r : s.resources) {
      const auto [n, tail] = PatternBound(r, vars, len);
      cost.steps += n + GlobSteps(n, tail, len.arn);
    }
    for (const auto& c : s.conditions) {
      cost.steps += 2 * c.key.size() + 64;
      // A missing key is listed (MissingContextValues, twice).
      cost.output_bytes += 2 * (c.key_as_written.size() + 32);
      uint64_t count = 0, bytes = 0;
      if (const auto* values = ctx.Find(c.key)) {
        count = values->size();
        for (const auto& v : *values) bytes += v.size();
      }
      for (const auto& v : c.values) {
        const auto [n, tail] = PatternBound(v, vars, len);
        // Substitution, then each context value against the pattern.
        cost.steps += n + count * (n + 1) + bytes * (1 + tail);
      }
    }
  }
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

Result<SimulationPage> Simulate(const SimulationInput& in, const PolicyCache& cache,
                                size_t start, size_t max_items) {
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
  SimulationPage page;
  page.total = in.action_names.size() * resources.size();
  page.next = std::max(start, page.total);
  if (start >= page.total) return page;

  // The most a pair may cost (the page bounds, simulator.h).
  Lengths len;
  for (const auto& a : in.action_names) len.action = std::max<uint64_t>(len.action, a.size());
  for (const auto& r : resources) len.arn = std::max<uint64_t>(len.arn, r.size());
  len.principal = p.arn.size() + p.principal_arn.size() + p.user_id.size() + p.account.size();
  for (const auto& [key, values] : ctx.all()) {
    for (const auto& v : values) len.value = std::max<uint64_t>(len.value, v.size());
  }
  PairCost pair;
  for (const auto& ap : base.identity) AddPolicyCost(ap, ctx, len, pair);
  for (const auto& ap : base.session) AddPolicyCost(ap, ctx, len, pair);
  if (base.boundary) AddPolicyCost(*base.boundary, ctx, len, pair);
  if (resource_policy) AddPolicyCost(*resource_policy, ctx, len, pair);
  if (pair.steps > kPageSteps || pair.output_bytes > kPageOutputBytes) {
    return Status(ErrorCode::kInvalidParameter,
                  "The simulation is too large to evaluate: its policies, context values and "
                  "names are too long together. Simulate with fewer or smaller policies, "
                  "context values, actions or resources.");
  }

  EvalRequest req = std::move(base);
  ResourceView rv;
  rv.resource_policy = resource_policy;
  uint64_t steps = 0, output = 0;
  const size_t end = max_items >= page.total - start ? page.total : start + max_items;
  size_t i = start;
  for (; i < end; ++i) {
    // A full page stops here; its first pair is always evaluated.
    if (i > start && (steps + pair.steps > kPageSteps || output >= kPageOutputBytes)) break;
    steps += pair.steps;
    const std::string& action = in.action_names[i / resources.size()];
    const std::string& arn = resources[i % resources.size()];
    rv.arn = arn;
    rv.account = !in.resource_owner.empty() ? OwnerAccount(in.resource_owner)
                 : arn != "*" && !ArnAccount(arn).empty() ? ArnAccount(arn)
                                                         : p.account;
    rv.is_kms_key = IsKmsKeyArn(arn) && resource_policy.has_value();
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
    output += 2 * (action.size() + 2 * arn.size() + 200);
    for (const auto& m : r.matched_statements) output += 2 * (m.source_policy_id.size() + 400);
    for (const auto& k : r.missing_context_values) output += 2 * (k.size() + 32);
    page.results.push_back(std::move(r));
  }
  page.next = i;
  return page;
}

}  // namespace arcana::auth::policy
