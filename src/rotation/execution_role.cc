#include "rotation/execution_role.h"

#include <string_view>
#include <vector>

#include "auth/policy/evaluator.h"
#include "auth/principal.h"
#include "services/sts/session_rules.h"

namespace arcana::rotation {

Result<std::optional<domain::iam::Identity>> LambdaExecutionRole(const auth::IdentityResolver& ids,
                                                                 const std::string& account,
                                                                 const std::string& role_arn) {
  const std::optional<domain::iam::Identity> cannot;
  // arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
  std::vector<std::string_view> fields;
  std::string_view rest = role_arn;
  for (int i = 0; i < 5; ++i) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return cannot;
    fields.push_back(rest.substr(0, colon));
    rest.remove_prefix(colon + 1);
  }
  if (fields[0] != "arn" || fields[2] != "iam" || !fields[3].empty() || fields[4] != account ||
      !rest.starts_with("role/")) {
    return cannot;
  }
  const std::string name(rest.substr(rest.rfind('/') + 1));
  ARCANA_ASSIGN_OR_RETURN(auto role, ids.FindRole(account, name));
  // A role of that name under another path is not the declared one.
  if (!role || role->Arn() != role_arn) return cannot;
  auto trust = services::sts::TrustView(*role, role_arn, account);
  if (!trust) return cannot;
  auth::Principal lambda;
  lambda.type = auth::Principal::Type::kService;
  lambda.account = account;
  lambda.arn = "lambda.amazonaws.com";
  lambda.principal_arn = lambda.arn;
  auth::policy::ContextKeys keys;
  keys.Set("aws:PrincipalServiceName", lambda.arn);
  auth::policy::EvalRequest req;
  req.principal = &lambda;
  req.action = "sts:AssumeRole";
  req.resource = &*trust;
  req.context = &keys;
  if (!auth::policy::Evaluate(req).allowed()) return cannot;
  return role;
}

}  // namespace arcana::rotation
