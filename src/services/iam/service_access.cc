#include "services/iam/service_access.h"

#include <algorithm>
#include <set>

#include "auth/policy/evaluator.h"
#include "auth/policy/request_context.h"
#include "services/common/model_validator.h"

namespace arcana::services::iam {

namespace {

using auth::policy::CompiledPolicy;
using auth::policy::Effect;
using auth::policy::GlobMatch;
using auth::policy::Statement;

using auth::policy::LowerAscii;

std::vector<ServedService> LoadCatalog() {
  // Access advisor's own names of the services (its reports name IAM "AWS Identity and
  // Access Management"; Systems Manager is "AWS Systems Manager" there, not the model's name).
  static const std::pair<const char*, const char*> kServices[] = {
      {"cloudtrail", "AWS CloudTrail"},
      {"events", "Amazon EventBridge"},
      {"iam", "AWS Identity and Access Management"},
      {"kms", "AWS Key Management Service"},
      {"lambda", "AWS Lambda"},
      {"secretsmanager", "AWS Secrets Manager"},
      {"ssm", "AWS Systems Manager"},
      {"sts", "AWS Security Token Service"},
  };
  std::vector<ServedService> out;
  for (const auto& [ns, name] : kServices) {
    ServedService s{ns, name, {}};
    rapidjson::Document model;
    LoadEmbeddedModel(ns, &model);
    if (auto ops = model.FindMember("operations"); ops != model.MemberEnd() && ops->value.IsObject()) {
      for (const auto& op : ops->value.GetObject()) s.actions.emplace_back(op.name.GetString());
    }
    std::sort(s.actions.begin(), s.actions.end());
    out.push_back(std::move(s));
  }
  return out;
}

// A pattern's namespace part (before its first ':'); the whole pattern when it has none.
std::string_view NamespaceOf(std::string_view pattern) {
  return pattern.substr(0, pattern.find(':'));
}

// Whether an action pattern (lower case) can match some action of a namespace whose actions
// are not known: its namespace part matches, or, without a ':', the pattern matches "ns:".
bool PatternReaches(std::string_view pattern, std::string_view ns) {
  const std::string prefix = std::string(ns) + ":";
  if (pattern.find(':') == std::string_view::npos) return GlobMatch(pattern, prefix + "*");
  return GlobMatch(NamespaceOf(pattern), ns);
}

// Whether an action pattern matches every action of a namespace whose actions are not known.
bool PatternCovers(std::string_view pattern, std::string_view ns) {
  const size_t colon = pattern.find(':');
  if (colon == std::string_view::npos) return GlobMatch(pattern, std::string(ns) + ":");
  return GlobMatch(pattern.substr(0, colon), ns) && pattern.substr(colon + 1) == "*";
}

bool StatementAllowsAction(const Statement& s, std::string_view action_lc) {
  if (s.effect != Effect::kAllow) return false;
  bool any = std::any_of(s.actions.begin(), s.actions.end(),
                         [&](const std::string& a) { return GlobMatch(a, action_lc); });
  return any != s.not_action;
}

bool StatementAllowsService(const Statement& s, std::string_view ns) {
  if (s.effect != Effect::kAllow) return false;
  if (const ServedService* served = FindServedService(ns)) {
    const std::string prefix = served->ns + ":";
    return std::any_of(served->actions.begin(), served->actions.end(), [&](const auto& a) {
      return StatementAllowsAction(s, LowerAscii(prefix + a));
    });
  }
  if (s.not_action) {
    return std::none_of(s.actions.begin(), s.actions.end(),
                        [&](const std::string& a) { return PatternCovers(a, ns); });
  }
  return std::any_of(s.actions.begin(), s.actions.end(),
                     [&](const std::string& a) { return PatternReaches(a, ns); });
}

}  // namespace

const std::vector<ServedService>& ServedServices() {
  static const std::vector<ServedService> catalog = LoadCatalog();
  return catalog;
}

const ServedService* FindServedService(std::string_view ns) {
  for (const auto& s : ServedServices()) {
    if (s.ns == ns) return &s;
  }
  return nullptr;
}

std::string ServiceNameOf(std::string_view ns) {
  const ServedService* s = FindServedService(ns);
  return s != nullptr ? s->name : std::string(ns);
}

bool AllowsService(const CompiledPolicy& policy, std::string_view ns) {
  return std::any_of(policy.statements.begin(), policy.statements.end(),
                     [&](const Statement& s) { return StatementAllowsService(s, ns); });
}

std::vector<std::string> AllowedActions(const std::vector<const CompiledPolicy*>& policies,
                                        const ServedService& service) {
  std::vector<std::string> out;
  for (const auto& action : service.actions) {
    const std::string full = LowerAscii(service.ns + ":" + action);
    bool allowed = std::any_of(policies.begin(), policies.end(), [&](const CompiledPolicy* p) {
      return std::any_of(p->statements.begin(), p->statements.end(),
                         [&](const Statement& s) { return StatementAllowsAction(s, full); });
    });
    if (allowed) out.push_back(action);
  }
  return out;
}

std::vector<std::string> AllowedServices(const std::vector<const CompiledPolicy*>& policies) {
  std::set<std::string> out;
  for (const auto& served : ServedServices()) {
    for (const CompiledPolicy* p : policies) {
      if (AllowsService(*p, served.ns)) {
        out.insert(served.ns);
        break;
      }
    }
  }
  // Other services: those an Allow statement names without a wildcard in the namespace.
  for (const CompiledPolicy* p : policies) {
    for (const Statement& s : p->statements) {
      if (s.effect != Effect::kAllow || s.not_action) continue;
      for (const std::string& a : s.actions) {
        const size_t colon = a.find(':');
        if (colon == std::string::npos || colon == 0) continue;
        std::string_view ns = std::string_view(a).substr(0, colon);
        if (ns.find_first_of("*?") != std::string_view::npos) continue;
        if (FindServedService(ns) == nullptr) out.emplace(ns);
      }
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace arcana::services::iam
