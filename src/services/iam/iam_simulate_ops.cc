// The policy simulator's API (SimulateCustomPolicy, SimulatePrincipalPolicy): the request
// decoded into auth/policy/simulator.h's SimulationInput, whose Simulate() runs the same
// Evaluate() a real call does, and its results encoded as IAM's EvaluationResults; and the
// context keys a simulation may need values for (GetContextKeysForCustomPolicy,
// GetContextKeysForPrincipalPolicy).
#include <algorithm>

#include "auth/policy/policy.h"
#include "auth/policy/request_context.h"
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
  // Paging over the (action, resource) results, as IAM pages them; only the page is evaluated,
  // and it may hold fewer than MaxItems (simulator.h's page bounds).
  size_t start = 0;
  if (auto marker = in.Str("Marker")) {
    try {
      start = std::stoul(*marker);
    } catch (...) {
      return Status(ErrorCode::kInvalidParameter, "Invalid Marker.");
    }
  }
  const size_t max_items =
      static_cast<size_t>(std::max<int64_t>(1, in.Int("MaxItems").value_or(100)));
  ARCANA_ASSIGN_OR_RETURN(policy::SimulationPage page,
                          policy::Simulate(input, cache, start, max_items));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("EvaluationResults");
  w.StartArray();
  for (const auto& r : page.results) {
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
  w.Bool(page.next < page.total);
  if (page.next < page.total) json::KV(w, "Marker", std::to_string(page.next));
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

// The policy variables a template names ("${aws:username}" -> "aws:username"; a default,
// "${aws:username, 'x'}", is not part of the key; the escapes ${*}, ${?} and ${$} name none).
void AddVariables(const std::string& text, std::vector<std::string>& out) {
  for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
    const size_t end = text.find('}', at + 2);
    if (end == std::string::npos) return;
    std::string key = text.substr(at + 2, end - at - 2);
    if (const size_t comma = key.find(','); comma != std::string::npos) key.resize(comma);
    while (!key.empty() && key.back() == ' ') key.pop_back();
    if (key.empty() || key == "*" || key == "?" || key == "$") continue;
    out.push_back(std::move(key));
  }
}

}  // namespace

Result<std::vector<std::string>> IamService::ContextKeysOf(const std::vector<std::string>& docs) {
  std::vector<std::string> named;
  for (const auto& doc : docs) {
    auto parsed = policy::ParsePolicy(doc, policy::PolicyUse::kIdentity);
    if (!parsed.ok()) parsed = policy::ParsePolicy(doc, policy::PolicyUse::kResource);
    if (!parsed.ok()) {
      return Status(ErrorCode::kInvalidParameter, parsed.status().message());
    }
    for (const auto& st : (*parsed)->statements) {
      for (const auto& r : st.resources) AddVariables(r.text, named);
      for (const auto& c : st.conditions) {
        named.push_back(c.key_as_written);
        for (const auto& v : c.values) AddVariables(v.text, named);
      }
    }
  }
  std::vector<std::string> keys;
  std::vector<std::string> seen;  // lower case
  for (auto& k : named) {
    std::string lower = policy::LowerAscii(k);
    if (std::find(seen.begin(), seen.end(), lower) != seen.end()) continue;
    seen.push_back(std::move(lower));
    keys.push_back(std::move(k));
  }
  return keys;
}

std::string IamService::ContextKeysAnswer(const std::vector<std::string>& keys) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ContextKeyNames");
  json::WriteStringList(w, keys);
  w.EndObject();
  return json::Finish(buf);
}

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

Result<auth::Principal> IamService::PolicySourcePrincipal(const CallContext& ctx,
                                                          const std::string& source) {
  // arn:aws:iam::ACCOUNT:user/PATH/NAME, :group/PATH/NAME or :role/PATH/NAME
  std::string prefix = "arn:aws:iam::" + ctx.account + ":";
  std::string name = source.substr(source.rfind('/') + 1);
  if (source.starts_with(prefix + "user/")) {
    auto p = resolver_.UserPrincipal(ctx.account, name);
    if (!p.ok() && p.status().code() == ErrorCode::kResourceNotFound) {
      return Status(ErrorCode::kResourceNotFound, "The user with name " + name + " cannot be found.");
    }
    return p;
  }
  if (source.starts_with(prefix + "role/")) {
    domain::iam::Session session;
    session.kind = "role";
    session.subject = name;
    session.session_name = "SimulatePrincipalPolicy";
    auto p = resolver_.RolePrincipal(ctx.account, session);
    if (!p.ok() && p.status().code() == ErrorCode::kResourceNotFound) {
      return Status(ErrorCode::kResourceNotFound, "The role with name " + name + " cannot be found.");
    }
    return p;
  }
  if (source.starts_with(prefix + "group/")) {
    // A group's policies, as a member of it would have them (AWS takes a user, group or role).
    auto p = resolver_.GroupPrincipal(ctx.account, name);
    if (!p.ok() && p.status().code() == ErrorCode::kResourceNotFound) {
      return Status(ErrorCode::kResourceNotFound,
                    "The group with name " + name + " cannot be found.");
    }
    return p;
  }
  return Status(ErrorCode::kInvalidParameter,
                "PolicySourceArn must be a user, group or role of this account: " + source);
}

Result<std::string> IamService::SimulatePrincipalPolicy(const In& in, const CallContext& ctx) {
  policy::SimulationInput s = CommonInput(in);
  ARCANA_ASSIGN_OR_RETURN(s.principal, PolicySourcePrincipal(ctx, *in.Str("PolicySourceArn")));
  if (auto caller = in.Str("CallerArn")) s.principal.arn = *caller;
  s.policy_input_list = Strings(in, "PolicyInputList");
  TagSources(s);
  return RunSimulation(s, cache_, in);
}

// The documented answer (the AWS CLI reference's example, a real call's output): the keys a
// policy's conditions test and the policy variables its resources name, as written
// ("aws:CurrentTime" keeps its capitals), in the order they first appear; a key named again
// in another case is the same key (context keys are case-insensitive), answered once. A
// document that is no policy is InvalidInput with the parser's reason.
Result<std::string> IamService::GetContextKeysForCustomPolicy(const In& in, const CallContext&) {
  std::vector<std::string> docs = Strings(in, "PolicyInputList");
  ARCANA_ASSIGN_OR_RETURN(auto keys, ContextKeysOf(docs));
  return ContextKeysAnswer(keys);
}

// A user's policies are its own and its groups' (the API reference: "The list also includes
// all groups that the user is a member of"), a group's or a role's its own; no permissions
// boundary; then PolicyInputList's.
Result<std::string> IamService::GetContextKeysForPrincipalPolicy(const In& in,
                                                                const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auth::Principal p,
                          PolicySourcePrincipal(ctx, *in.Str("PolicySourceArn")));
  std::vector<std::string> docs;
  for (const auto& source : p.identity_policies) docs.push_back(source.json.str());
  for (auto& doc : Strings(in, "PolicyInputList")) docs.push_back(std::move(doc));
  ARCANA_ASSIGN_OR_RETURN(auto keys, ContextKeysOf(docs));
  return ContextKeysAnswer(keys);
}

}  // namespace arcana::services::iam
