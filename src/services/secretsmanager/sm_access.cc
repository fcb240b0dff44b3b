// Authorization of Secrets Manager calls (auth/authorizer.h): which resource each call
// touches and what the policy engine may read about it. No policy logic lives here.
#include "services/secretsmanager/sm_access.h"

#include "auth/authorizer.h"
#include "domain/rotation/function_spec.h"
#include "services/common/request_tags.h"
#include "domain/secretsmanager/names.h"
#include "services/secretsmanager/secrets_manager.h"

namespace arcana::services::sm {

auth::policy::ContextKeys SmRequestKeys(std::string_view operation, const json::Input& in,
                                        const std::string& region, const std::string& account) {
  auth::policy::ContextKeys keys;
  if (operation == "RotateSecret") {
    keys.Set("secretsmanager:RotateImmediately",
             in.Bool("RotateImmediately").value_or(true) ? "true" : "false");
    keys.Set("secretsmanager:ModifyRotationRules", in.Has("RotationRules") ? "true" : "false");
  }
  if (auto k = in.Str("KmsKeyId"); k && !k->empty()) {
    if (k->rfind("arn:", 0) == 0 && k->find(":key/") != std::string::npos) {
      keys.Set("secretsmanager:KmsKeyArn", *k);
    } else if (k->find('/') == std::string::npos && k->find(':') == std::string::npos) {
      keys.Set("secretsmanager:KmsKeyArn", "arn:aws:kms:" + region + ":" + account + ":key/" + *k);
    }
  }
  for (const char* m : {"SecretId", "Name", "VersionId", "VersionStage", "KmsKeyId",
                        "Description", "RotationLambdaARN"}) {
    if (auto v = in.Str(m)) keys.Set(std::string("secretsmanager:") + m, *v);
  }
  for (const char* m : {"BlockPublicPolicy", "ForceDeleteWithoutRecovery",
                        "ForceOverwriteReplicaSecret"}) {
    if (auto v = in.Bool(m)) keys.Set(std::string("secretsmanager:") + m, *v ? "true" : "false");
  }
  if (auto v = in.Int("RecoveryWindowInDays")) {
    keys.Set("secretsmanager:RecoveryWindowInDays", std::to_string(*v));
  }
  if (const auto* regions = in.Get("AddReplicaRegions"); regions && regions->IsArray()) {
    std::vector<std::string> names;
    for (const auto& r : regions->GetArray()) {
      if (r.IsObject() && r.HasMember("Region") && r["Region"].IsString()) {
        names.emplace_back(r["Region"].GetString());
      }
    }
    keys.SetList("secretsmanager:AddReplicaRegions", std::move(names));
  }
  AddRequestTagKeys(in, operation == "UntagResource" ? TagChange::kRemoves : TagChange::kSets,
                    "Tags", "Key", "Value", &keys);
  return keys;
}

Status SecretsManagerService::AuthorizeSecret(const CallContext& ctx, const Loaded& l,
                                              const std::string& as_given) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  const Secret& meta = l.data();
  std::map<std::string, std::string> tags;
  for (const auto& t : meta.tags) tags[t.key] = t.value;
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = l.self.arn;
  req.resource_account = l.self.account;
  req.resource_tags = &tags;
  req.service_tag_prefix = "secretsmanager";
  if (meta.resource_policy) req.resource_policy = &*meta.resource_policy;
  req.resource_policy_id = l.self.arn;
  req.denial_resource = as_given;
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  AddSecretKeys(l, &req.keys);
  return auth::Check(ctx, req);
}

void SecretsManagerService::AddSecretKeys(const Loaded& l, auth::policy::ContextKeys* keys) {
  // The region the secret was created in: a replica's primary's.
  keys->Set("secretsmanager:SecretPrimaryRegion",
            l.replica ? l.primary.region : l.self.region);
  if (const auto& fn = l.data().rotation.lambda_arn; !fn.empty()) {
    keys->Set("secretsmanager:resource/AllowRotationLambdaArn", fn);
  }
}

Status SecretsManagerService::AuthorizeMissing(const CallContext& ctx,
                                               const std::string& secret_id) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = domain::sm::IsArn(secret_id)
                         ? secret_id
                         : "arn:aws:secretsmanager:" + ctx.region + ":" + ctx.account +
                               ":secret:" + secret_id;
  req.resource_account = ctx.account;
  req.denial_resource = secret_id;
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  return auth::Check(ctx, req);
}

Status SecretsManagerService::AuthorizeCreate(const CallContext& ctx, const std::string& arn,
                                              const std::string& name, bool with_tags,
                                              bool with_replicas) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = arn;
  req.resource_account = ctx.account;
  req.denial_resource = name;
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  req.keys.Set("secretsmanager:SecretPrimaryRegion", ctx.region);
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  // The Service Authorization Reference maps CreateSecret to these actions too; the API
  // reference: "If you include tags in the secret, you also need secretsmanager:TagResource."
  if (with_replicas) {
    req.action = "secretsmanager:ReplicateSecretToRegions";
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  }
  if (with_tags) {
    req.action = "secretsmanager:TagResource";
    ARCANA_RETURN_IF_ERROR(auth::Check(ctx, req));
  }
  return Status::Ok();
}

Status SecretsManagerService::AuthorizeInvoke(const CallContext& ctx,
                                              const std::string& lambda_arn) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  auth::AccessRequest req;
  req.action = "lambda:InvokeFunction";
  req.resource_arn = lambda_arn;
  // The function is its own account's resource (aws:ResourceAccount and the root's implicit
  // allow follow it), never the caller's: another account's root is not its owner.
  auto fn = domain::rotation::ParseLambdaArn(lambda_arn);
  req.resource_account = fn ? fn->account : ctx.account;
  // Of another account, its owner's consent is not this check's: Secrets Manager may invoke
  // the function for this secret only through the function's policy (a grant to
  // secretsmanager.amazonaws.com), which the engine checks at RotateSecret and every run
  // (RotationLauncher::CheckFunction). Here the caller's own side is asked, its identity
  // policies (and boundary, session policies), as the owner's delegation to its account.
  std::string delegation;
  if (req.resource_account != ctx.account) {
    delegation = R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":")" +
                 std::string("arn:aws:iam::") + ctx.account +
                 R"(:root"},"Action":"lambda:InvokeFunction","Resource":"*"}]})";
    req.resource_policy = &delegation;
    req.resource_policy_id = lambda_arn + "/secretsmanager-invoke";
  }
  return auth::Check(ctx, req);
}

bool SecretsManagerService::MayReadValue(const CallContext& caller, const std::string& region,
                                         const std::string& arn) {
  if (caller.authorizer == nullptr) return true;
  // Whether a GetSecretValue of `id` in `in_region` (optionally naming a VersionStage) would
  // be authorized. Load authorizes before it answers anything, a missing secret included.
  // found_only: the secret must be found by that form (a name resolves in the caller's own
  // account; a replica may have gone): only the change's own ARN and region decide a secret
  // that is gone, on that ARN alone.
  auto may_read = [&](const std::string& in_region, const std::string& id, const char* stage,
                      bool found_only) {
    CallContext ctx = caller;
    ctx.region = in_region;
    ctx.action = "secretsmanager:GetSecretValue";
    ctx.touched = nullptr;
    auto keys = std::make_shared<auth::policy::ContextKeys>();
    keys->Set("secretsmanager:SecretId", id);
    if (stage != nullptr) keys->Set("secretsmanager:VersionStage", stage);
    ctx.request_keys = std::move(keys);
    auto loaded = Load(ctx, id);
    return loaded.ok() ||
           (!found_only && loaded.status().code() == ErrorCode::kResourceNotFound);
  };
  if (may_read(region, arn, nullptr, false)) return true;
  // Hiding a change from a caller who reads the secret leaves its cache stale (the agent's),
  // so visibility errs towards showing: a change is recorded once, under the primary's ARN and
  // region, while the caller may read only a replica (a policy on that region's ARNs, or
  // aws:RequestedRegion), or only with the request values it sends (secretsmanager:SecretId
  // as a name, secretsmanager:VersionStage). Each form a read of the secret could take is
  // asked; a change shows when any would be allowed. It names only the ARN and the kind.
  auto secret = store_.GetSecretByArn(arn);
  if (!secret.ok() || !*secret) return false;
  const Secret& s = **secret;
  std::vector<std::string> regions = {region};
  for (const auto& r : s.replicas) regions.push_back(r.region);
  const std::string marker = ":" + region + ":";
  const size_t at = arn.find(marker);
  for (const auto& in_region : regions) {
    std::string regional = arn;
    if (at != std::string::npos) regional.replace(at, marker.size(), ":" + in_region + ":");
    std::vector<std::string> ids = {regional};
    if (s.account == caller.account) ids.push_back(s.name);  // a name is of one's own account
    for (const auto& id : ids) {
      for (const char* stage : {static_cast<const char*>(nullptr), "AWSCURRENT"}) {
        if (in_region == region && id == arn && stage == nullptr) continue;  // asked first
        if (may_read(in_region, id, stage, true)) return true;
      }
    }
  }
  return false;
}

}  // namespace arcana::services::sm
