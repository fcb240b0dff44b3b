// The policy simulator's API (SimulateCustomPolicy, SimulatePrincipalPolicy): the request
// decoded into auth/policy/simulator.h's SimulationInput, whose Simulate() runs the same
// Evaluate() a real call does, and its results encoded as IAM's EvaluationResults.
#include "auth/policy/simulator.h"
#include "services/iam/iam_service.h"

namespace arcana::services::iam {

namespace policy = auth::policy;

namespace {

std::vector<std::string> Strings(const json::Input& in, const char* member) {
  return in.StrList(member).value_or(std::vector<std::string>{});
}

// The members both simulations share.
policy::SimulationInput CommonInput(const json::Input& in) {
  policy::SimulationInput s;
  s.action_names = Strings(in, "ActionNames");
  s.resource_arns = Strings(in, "ResourceArns");
  s.permissions_boundary_policies = Strings(in, "PermissionsBoundaryPolicyInputList");
  if (auto rp = in.Str("ResourcePolicy")) s.resource_policy = *rp;
  s.resource_owner = in.Str("ResourceOwner").value_or("");
  if (const auto* entries = in.Get("ContextEntries"); entries != nullptr && entries->IsArray()) {
    for (const auto& e : entries->GetArray()) {
      json::Input entry(e);
      s.context_entries.push_back({entry.Str("ContextKeyName").value_or(""),
                                   entry.Str("ContextKeyType").value_or(""),
                                   Strings(entry, "ContextKeyValues")});
    }
  }
  return s;
}

void WriteStatements(json::Writer& w, const std::vector<policy::SimulatedStatement>& list) {
  w.Key("MatchedStatements");
  w.StartArray();
  for (const auto& m : list) {
    w.StartObject();
    json::KV(w, "SourcePolicyId", m.source_policy_id);
    json::KV(w, "SourcePolicyType", m.source_policy_type);
    for (const auto& [key, pos] : {std::pair{"StartPosition", m.start_position},
                                   std::pair{"EndPosition", m.end_position}}) {
      w.Key(key);
      w.StartObject();
      w.Key("Line");
      w.Int(pos.line);
      w.Key("Column");
      w.Int(pos.column);
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndArray();
}

void WriteDetail(json::Writer& w, const std::vector<std::string>& missing,
                 const std::optional<bool>& boundary) {
  w.Key("MissingContextValues");
  json::WriteStringList(w, missing);
  if (boundary) {
    w.Key("PermissionsBoundaryDecisionDetail");
    w.StartObject();
    w.Key("AllowedByPermissionsBoundary");
    w.Bool(*boundary);
    w.EndObject();
  }
}

Result<std::string> RunSimulation(const policy::SimulationInput& input,
                                  const policy::PolicyCache& cache, const json::Input& in) {
  ARCANA_ASSIGN_OR_RETURN(auto results, policy::Simulate(input, cache));
  // Paging over the (action, resource) results, as IAM pages them.
  size_t start = 0;
  if (auto marker = in.Str("Marker")) {
    try {
      start = std::stoul(*marker);
    } catch (...) {
      return Status(ErrorCode::kInvalidParameter, "Invalid Marker.");
    }
  }
  const size_t max_items = static_cast<size_t>(in.Int("MaxItems").value_or(100));
  const size_t end = std::min(results.size(), start + max_items);
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("EvaluationResults");
  w.StartArray();
  for (size_t i = start; i < end; ++i) {
    const auto& r = results[i];
    w.StartObject();
    json::KV(w, "EvalActionName", r.action);
    json::KV(w, "EvalResourceName", r.resource);
    json::KV(w, "EvalDecision", policy::DecisionName(r.decision));
    WriteStatements(w, r.matched_statements);
    WriteDetail(w, r.missing_context_values, r.allowed_by_permissions_boundary);
    w.Key("ResourceSpecificResults");
    w.StartArray();
    for (const auto& rs : r.resource_specific) {
      w.StartObject();
      json::KV(w, "EvalResourceName", rs.resource);
      json::KV(w, "EvalResourceDecision", policy::DecisionName(rs.decision));
      WriteStatements(w, rs.matched_statements);
      WriteDetail(w, rs.missing_context_values, rs.allowed_by_permissions_boundary);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.Key("IsTruncated");
  w.Bool(end < results.size());
  if (end < results.size()) json::KV(w, "Marker", std::to_string(end));
  w.EndObject();
  return json::Finish(buf);
}

// Where each policy of a principal came from, as IAM names the SourcePolicyType.
void TagSources(policy::SimulationInput& s) {
  auto type_of = [](const std::string& id) -> std::string {
    if (id.starts_with("arn:aws:iam::aws:policy/")) return "aws-managed";
    if (id.starts_with("arn:")) return "user-managed";
    for (const char* k : {"user", "group", "role"}) {
      if (id.starts_with(std::string(k) + "/")) return k;
    }
    return "none";
  };
  for (const auto& p : s.principal.identity_policies) {
    s.source_policy_types[p.source_id] = type_of(p.source_id);
  }
  if (s.principal.permissions_boundary) {
    s.source_policy_types[s.principal.permissions_boundary->source_id] =
        type_of(s.principal.permissions_boundary->source_id);
  }
  for (size_t i = 0; i < s.policy_input_list.size(); ++i) {
    s.source_policy_types["PolicyInputList." + std::to_string(i + 1)] = "none";
  }
}

}  // namespace

Result<std::string> IamService::SimulateCustomPolicy(const In& in, const CallContext& ctx) {
  policy::SimulationInput s = CommonInput(in);
  s.principal.type = auth::Principal::Type::kUser;
  s.principal.account = ctx.account;
  std::string caller = in.Str("CallerArn").value_or("");
  s.principal.arn = s.principal.principal_arn =
      caller.empty() ? "arn:aws:iam::" + ctx.account + ":user/SimulatedUser" : caller;
  s.policy_input_list = Strings(in, "PolicyInputList");
  return RunSimulation(s, cache_, in);
}

Result<std::string> IamService::SimulatePrincipalPolicy(const In& in, const CallContext& ctx) {
  policy::SimulationInput s = CommonInput(in);
  std::string source = *in.Str("PolicySourceArn");
  // arn:aws:iam::ACCOUNT:user/PATH/NAME, :group/PATH/NAME or :role/PATH/NAME
  std::string prefix = "arn:aws:iam::" + ctx.account + ":";
  std::string name = source.substr(source.rfind('/') + 1);
  auto missing = Status(ErrorCode::kResourceNotFound,
                        "The user with name " + name + " cannot be found.");
  if (source.starts_with(prefix + "user/")) {
    auto p = resolver_.UserPrincipal(ctx.account, name);
    if (!p.ok()) return p.status().code() == ErrorCode::kResourceNotFound ? missing : p.status();
    s.principal = std::move(p).value();
  } else if (source.starts_with(prefix + "role/")) {
    domain::iam::Session session;
    session.kind = "role";
    session.subject = name;
    session.session_name = "SimulatePrincipalPolicy";
    auto p = resolver_.RolePrincipal(ctx.account, session);
    if (!p.ok()) {
      if (p.status().code() != ErrorCode::kResourceNotFound) return p.status();
      return Status(ErrorCode::kResourceNotFound, "The role with name " + name + " cannot be found.");
    }
    s.principal = std::move(p).value();
  } else if (source.starts_with(prefix + "group/")) {
    // A group's policies, as a member of it would have them (AWS takes a user, group or role).
    auto p = resolver_.GroupPrincipal(ctx.account, name);
    if (!p.ok()) {
      if (p.status().code() != ErrorCode::kResourceNotFound) return p.status();
      return Status(ErrorCode::kResourceNotFound,
                    "The group with name " + name + " cannot be found.");
    }
    s.principal = std::move(p).value();
  } else {
    return Status(ErrorCode::kInvalidParameter,
                  "PolicySourceArn must be a user, group or role of this account: " + source);
  }
  if (auto caller = in.Str("CallerArn")) s.principal.arn = *caller;
  s.policy_input_list = Strings(in, "PolicyInputList");
  TagSources(s);
  return RunSimulation(s, cache_, in);
}

}  // namespace arcana::services::iam
