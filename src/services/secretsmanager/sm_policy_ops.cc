// Secrets Manager resource-policy operations: stored, returned and validated; enforced by
// the authorizer on every call to the secret (sm_access.cc, auth/authorizer.h).
#include "auth/policy/policy.h"
#include "domain/secretsmanager/resource_policy.h"
#include "crypto/aead.h"
#include "services/common/write_retry.h"
#include "services/secretsmanager/secrets_manager.h"
#include "services/secretsmanager/sm_encode.h"

namespace arcana::services::sm {

namespace dsm = domain::sm;

namespace {

}  // namespace

Result<std::string> SecretsManagerService::PutResourcePolicy(const In& in, const CallContext& ctx) {
  std::string policy = in.Str("ResourcePolicy").value_or("");
  return RetryOnConflict([&]() -> Result<std::string> {
    // The secret first: a missing secret is ResourceNotFoundException and a replica is
    // refused (NotOnReplica) whatever the policy text.
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    // A managed secret's access is its owner's to decide (an EventBridge connection's
    // password would otherwise be opened to other accounts): refused as its other changes are.
    ARCANA_RETURN_IF_ERROR(RefuseManaged(s));
    ARCANA_RETURN_IF_ERROR(dsm::ValidateResourcePolicy(policy).status());
    // What is stored is what the policy engine enforces: a policy it cannot compile would
    // silently lose its Deny statements. Refused in the words of any other syntax fault.
    if (!auth::policy::ParsePolicy(policy, auth::policy::PolicyUse::kResource).ok()) {
      return Status(ErrorCode::kMalformedPolicyDocument, "This policy has invalid syntax.");
    }
    if (in.Bool("BlockPublicPolicy").value_or(false) && dsm::GrantsPublicAccess(policy)) {
      return Status(ErrorCode::kPublicPolicy,
                    "This resource policy contains a statement that grants public access to "
                    "the secret.");
    }
    s.resource_policy = policy;
    ARCANA_RETURN_IF_ERROR(Save(s, "PutResourcePolicy"));
    return ArnNameBody(s);
  });
}

Result<std::string> SecretsManagerService::GetResourcePolicy(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Loaded l, Load(ctx, in.Str("SecretId").value_or("")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", l.self.arn);
  json::KV(w, "Name", l.self.name);
  if (l.data().resource_policy) json::KV(w, "ResourcePolicy", *l.data().resource_policy);
  w.EndObject();
  return json::Finish(buf);
}

Result<std::string> SecretsManagerService::DeleteResourcePolicy(const In& in,
                                                                const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, in.Str("SecretId").value_or("")));
    if (s.resource_policy) {
      s.resource_policy.reset();
      ARCANA_RETURN_IF_ERROR(Save(s, "DeleteResourcePolicy"));
    }
    return ArnNameBody(s);
  });
}

Result<std::string> SecretsManagerService::ValidateResourcePolicy(const In& in,
                                                                  const CallContext& ctx) {
  if (auto id = in.Str("SecretId")) {
    ARCANA_RETURN_IF_ERROR(Load(ctx, *id).status());  // must name an existing secret
  }
  ARCANA_ASSIGN_OR_RETURN(auto findings,
                          dsm::ValidateResourcePolicy(in.Str("ResourcePolicy").value_or("")));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("PolicyValidationPassed");
  w.Bool(findings.empty());
  w.Key("ValidationErrors");
  w.StartArray();
  for (const auto& f : findings) {
    w.StartObject();
    json::KV(w, "CheckName", f.check_name);
    json::KV(w, "ErrorMessage", f.error_message);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sm
