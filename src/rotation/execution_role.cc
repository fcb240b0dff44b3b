#include "rotation/execution_role.h"

#include <rapidjson/document.h>

#include <string_view>

#include "auth/policy/evaluator.h"
#include "auth/principal.h"
#include "auth/policy/policy.h"
#include "common/arn.h"
#include "common/json.h"
#include "domain/rotation/function_spec.h"
#include "services/sts/session_rules.h"

namespace arcana::rotation {

Result<std::optional<domain::iam::Identity>> ServiceAssumableRole(
    const auth::IdentityResolver& ids, const std::string& account, const std::string& role_arn,
    const std::string& service_principal, const std::string& source_arn) {
  const std::optional<domain::iam::Identity> cannot;
  // arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME
  auto arn = SplitArn(role_arn);
  if (!arn || arn->service != "iam" || !arn->region.empty() || arn->account != account ||
      !arn->resource.starts_with("role/")) {
    return cannot;
  }
  const std::string name(arn->resource.substr(arn->resource.rfind('/') + 1));
  ARCANA_ASSIGN_OR_RETURN(auto role, ids.FindRole(account, name));
  // A role of that name under another path is not the declared one.
  if (!role || role->Arn() != role_arn) return cannot;
  auto trust = services::sts::TrustView(*role, role_arn, account);
  if (!trust) return cannot;
  auth::Principal service;
  service.type = auth::Principal::Type::kService;
  service.account = account;
  service.arn = service_principal;
  service.principal_arn = service.arn;
  auth::policy::ContextKeys keys;
  keys.Set("aws:PrincipalServiceName", service.arn);
  if (!source_arn.empty()) {
    // The confused-deputy keys a service sets when it acts for a resource.
    keys.Set("aws:SourceAccount", account);
    keys.Set("aws:SourceArn", source_arn);
  }
  auth::policy::EvalRequest req;
  req.principal = &service;
  req.action = "sts:AssumeRole";
  req.resource = &*trust;
  req.context = &keys;
  if (!auth::policy::Evaluate(req).allowed()) return cannot;
  return role;
}

Result<std::optional<domain::iam::Identity>> LambdaExecutionRole(const auth::IdentityResolver& ids,
                                                                 const std::string& account,
                                                                 const std::string& role_arn) {
  return ServiceAssumableRole(ids, account, role_arn, "lambda.amazonaws.com", "");
}

Result<domain::iam::Session> ExternalRotationSession(const auth::IdentityResolver& ids,
                                                     const std::string& account,
                                                     const std::string& role_arn,
                                                     const std::string& secret_arn) {
  ARCANA_ASSIGN_OR_RETURN(auto role, ServiceAssumableRole(ids, account, role_arn,
                                                          kSecretsManagerPrincipal, secret_arn));
  if (!role) {
    return Status(ErrorCode::kInvalidParameter,
                  "Secrets Manager can't assume the role " + role_arn.substr(0, 2048) +
                      ". It must be a role of the secret's account whose trust policy lets " +
                      kSecretsManagerPrincipal + " perform sts:AssumeRole.");
  }
  domain::iam::Session session;
  session.kind = "role";
  session.subject = role->name;
  session.subject_id = role->id;
  session.session_name = kExternalRotationSessionName;
  return session;
}

std::optional<std::string> DeclaredRole(const storage::RotationFunction& f) {
  if (f.lambda_json.empty()) return std::nullopt;
  rapidjson::Document doc;
  if (!json::ParseBounded(f.lambda_json, &doc).ok() || !doc.IsObject()) return std::string();
  return json::StrField(doc, "Role");
}

bool SecretsManagerMayInvoke(const storage::RotationFunction& fn,
                             const std::string& secret_account, const std::string& secret_arn) {
  return ServiceMayInvoke(fn, kSecretsManagerPrincipal, secret_account, secret_arn);
}

bool ServiceMayInvoke(const storage::RotationFunction& fn, const std::string& service_principal,
                      const std::string& source_account, const std::string& source_arn) {
  // Arcana's own functions (see the header) serve their own account without a grant. They
  // run as arcanad's user with the variables an operator gave them (a database admin
  // password): another account's secret or rule reaches one only through its policy.
  if (!DeclaredRole(fn) && source_account == fn.account) return true;
  // No shortcut for the source's own account otherwise: AWS requires the policy there too.
  if (fn.policy.empty()) return false;
  auto policy = auth::policy::ParsePolicy(fn.policy, auth::policy::PolicyUse::kResource);
  if (!policy.ok()) return false;
  const std::string fn_arn = domain::rotation::LambdaArnOf(fn.region, fn.account, fn.name);
  auth::Principal service;
  service.type = auth::Principal::Type::kService;
  service.account = fn.account;  // the function's policy alone decides (as a service's call)
  service.arn = service_principal;
  service.principal_arn = service.arn;
  auth::policy::ContextKeys keys;
  keys.Set("aws:PrincipalServiceName", service.arn);
  keys.Set("aws:SourceAccount", source_account);
  keys.Set("aws:SourceArn", source_arn);
  auth::policy::ResourceView resource;
  resource.arn = fn_arn;
  resource.account = fn.account;
  resource.resource_policy = auth::policy::AppliedPolicy{*policy, fn_arn + "/resource-policy",
                                                         auth::PolicySource::Kind::kResource};
  auth::policy::EvalRequest req;
  req.principal = &service;
  req.action = "lambda:InvokeFunction";
  req.resource = &resource;
  req.context = &keys;
  return auth::policy::Evaluate(req).allowed();
}

Result<domain::iam::Session> ExecutionRoleSession(const auth::IdentityResolver& ids,
                                                  const storage::RotationFunction& fn,
                                                  const std::string& role_arn) {
  ARCANA_ASSIGN_OR_RETURN(auto role, LambdaExecutionRole(ids, fn.account, role_arn));
  if (!role) {
    return Status(ErrorCode::kInternalFailure,
                  "the function's execution role " + role_arn.substr(0, 2048) +
                      " cannot be assumed by Lambda");
  }
  domain::iam::Session session;
  session.kind = "role";
  session.subject = role->name;
  session.subject_id = role->id;  // this role's session, never a later one's of its name
  session.session_name = fn.name;
  return session;
}

}  // namespace arcana::rotation
