#include "services/ssm/ssm_service.h"

#include <spdlog/spdlog.h>

#include "auth/authorizer.h"
#include "crypto/base64.h"
#include "crypto/random.h"
#include "domain/ssm/filters.h"
#include "domain/ssm/names.h"
#include "domain/ssm/resource_policy.h"
#include "services/common/aws_error.h"
#include "services/common/request_tags.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

// The context keys a Parameter Store request carries: aws:RequestTag/K and aws:TagKeys
// (PutParameter, AddTagsToResource, RemoveTagsFromResource), ssm:Overwrite, ssm:Recursive.
auth::policy::ContextKeys SsmRequestKeys(std::string_view operation, const json::Input& in) {
  auth::policy::ContextKeys keys;
  AddRequestTagKeys(in,
                    operation == "RemoveTagsFromResource" ? TagChange::kRemoves : TagChange::kSets,
                    "Tags", "Key", "Value", &keys);
  if (auto v = in.Bool("Overwrite")) keys.Set("ssm:Overwrite", *v ? "true" : "false");
  if (auto v = in.Bool("Recursive")) keys.Set("ssm:Recursive", *v ? "true" : "false");
  return keys;
}

SsmService::SsmService(storage::ParameterStore& store, crypto::DataKeyProvider& keys,
                       const crypto::RootKey& root, sm::SecretsManagerService* secrets_manager)
    : store_(store),
      keys_(keys),
      secrets_manager_(secrets_manager),
      page_key_(root, "ssm:page-token"),
      // AWS lists ParameterType's values in this order in its enum violation message
      // (quoted from AWS in aws/aws-cli#3116), not the model's; lists of strings (Names,
      // Labels, filter Values) are quoted, their elements' violations folded into one. The
      // filter key and tag patterns are checked with the request's other constraints, so
      // AWS's count of violations ("2 validation errors detected") holds.
      validator_("ssm", ErrorCode::kValidation, ModelValidator::Patterns::kIgnored,
                 {{"ParameterType", {"SecureString", "StringList", "String"}}},
                 ModelValidator::ListValues::kCoral, {},
                 {{"ParameterStringFilterKey", dssm::MatchesFilterKeyPattern},
                  {"TagKey", dssm::MayMatchTagPattern},
                  {"TagValue", dssm::MayMatchTagPattern}}) {
  using S = SsmService;
  handlers_ = {
      {"PutParameter", &S::PutParameter},
      {"GetParameter", &S::GetParameter},
      {"GetParameters", &S::GetParameters},
      {"GetParametersByPath", &S::GetParametersByPath},
      {"DeleteParameter", &S::DeleteParameter},
      {"DeleteParameters", &S::DeleteParameters},
      {"DescribeParameters", &S::DescribeParameters},
      {"GetParameterHistory", &S::GetParameterHistory},
      {"LabelParameterVersion", &S::LabelParameterVersion},
      {"UnlabelParameterVersion", &S::UnlabelParameterVersion},
      {"AddTagsToResource", &S::AddTagsToResource},
      {"RemoveTagsFromResource", &S::RemoveTagsFromResource},
      {"ListTagsForResource", &S::ListTagsForResource},
      {"GetServiceSetting", &S::GetServiceSetting},
      {"UpdateServiceSetting", &S::UpdateServiceSetting},
      {"ResetServiceSetting", &S::ResetServiceSetting},
      {"PutResourcePolicy", &S::PutResourcePolicy},
      {"GetResourcePolicies", &S::GetResourcePolicies},
      {"DeleteResourcePolicy", &S::DeleteResourcePolicy},
  };
}

bool SsmService::MayAnswerInline(std::string_view operation) const {
  return operation == "GetParameter" || operation == "GetParameters";
}

Result<std::string> SsmService::Call(std::string_view operation, const rapidjson::Value& input,
                                     const CallContext& ctx) {
  auto it = handlers_.find(std::string(operation));
  if (it == handlers_.end()) {
    // In the SSM model but outside Parameter Store: refuse clearly rather than pretend.
    return Status(ErrorCode::kUnknownOperation,
                  "Operation AmazonSSM." + std::string(operation) +
                      " is not supported by this server: Arcana implements only the Parameter "
                      "Store operations of SSM.");
  }
  In in(input);
  if (ctx.authorizer == nullptr) return (this->*(it->second))(in, ctx);
  CallContext c = ctx;
  c.action = "ssm:" + std::string(operation);
  c.request_keys = std::make_shared<const auth::policy::ContextKeys>(SsmRequestKeys(operation, in));
  // DescribeParameters is on no parameter; GetParametersByPath on its path; the service-setting
  // operations on the setting's ARN (SettingTarget); the others on each parameter they name,
  // once resolved (Find, GetReference).
  if (operation == "DescribeParameters" || operation == "GetParametersByPath") {
    std::string path = in.Str("Path").value_or("");
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    ARCANA_RETURN_IF_ERROR(AuthorizeParameter(
        c, operation == "DescribeParameters" ? "*"
                                             : dssm::ParameterArn(ctx.region, ctx.account, path),
        nullptr));
  }
  return (this->*(it->second))(in, c);
}

Status SsmService::AuthorizeParameter(const CallContext& ctx, const std::string& arn,
                                      const Parameter* p, const std::string& owner) {
  if (ctx.authorizer == nullptr) return Status::Ok();
  std::map<std::string, std::string> tags;
  std::string policy;
  auth::AccessRequest req;
  req.action = ctx.action;
  req.resource_arn = arn;
  // Another account's parameter: the engine needs both an Allow of the caller's own policies
  // and one of the parameter's resource policy (AWS's cross-account rule), as for secrets.
  req.resource_account = owner.empty() ? ctx.account : owner;
  if (p != nullptr) {
    for (const auto& t : p->tags) tags[t.key] = t.value;
    req.resource_tags = &tags;
    // Also ssm:resourceTag/K, Systems Manager's own key for "a tag key-value pair assigned to
    // the Systems Manager resource" (Service Authorization Reference).
    req.service_tag_prefix = "ssm";
    policy = dssm::CombinedResourcePolicy(p->resource_policies);
    if (!policy.empty()) {
      req.resource_policy = &policy;
      req.resource_policy_id = arn + "/resource-policy";
    }
  }
  if (ctx.request_keys) req.keys = *ctx.request_keys;
  return auth::Check(ctx, req);
}

bool SsmService::MayReadValue(const CallContext& caller, const std::string& region,
                              const std::string& arn) {
  if (caller.authorizer == nullptr) return true;
  auto ref = dssm::ParseNameRef(arn, region, caller.account);
  if (ref.malformed || !ref.from_arn || (ref.foreign && ref.region != region)) return false;
  // A parameter another account shares is decided as a GetParameter by its ARN: with the
  // owner's resource policies (AuthorizeParameter's cross-account rule). One that is gone has
  // none, so no other account is told of it.
  const std::string owner = ref.foreign ? ref.account : std::string();
  CallContext ctx = caller;
  ctx.region = region;
  ctx.action = "ssm:GetParameter";
  ctx.touched = nullptr;
  ctx.request_keys = nullptr;
  auto p = store_.GetParameter({owner.empty() ? ctx.account : owner, region},
                               dssm::NameKey(ref.name));
  if (!p.ok()) return false;
  return AuthorizeParameter(ctx, arn, *p ? &**p : nullptr, owner).ok();
}

Result<std::optional<Parameter>> SsmService::Find(const CallContext& ctx, const std::string& key,
                                                  const std::string& owner) {
  const std::string& account = owner.empty() ? ctx.account : owner;
  storage::Scope scope{account, ctx.region};
  ARCANA_ASSIGN_OR_RETURN(auto p, store_.GetParameter(scope, key));
  // Authorized before anything about the parameter (even whether it exists) is answered.
  const std::string arn = dssm::ParameterArn(ctx.region, account, p ? p->name : key);
  ARCANA_RETURN_IF_ERROR(AuthorizeParameter(ctx, arn, p ? &*p : nullptr, owner));
  if (!p) return p;
  auto exp = p->ExpiresMs();
  if (!exp || *exp > ctx.now_ms) {
    ctx.Touch(audit::kParameterType, arn);
    return p;
  }
  // Expired: the Expiration policy deletes it. At the revision read, so an overwrite that
  // committed meanwhile (with its own policies) is never lost; the store skips it then.
  auto gone = store_.DeleteParameters(scope, {{key, p->revision}}, "ExpireParameter");
  if (!gone.ok()) {
    spdlog::warn("could not delete an expired parameter: {}", gone.status().message());
  } else if (!gone->empty()) {
    PublishExpired(*p, ctx.now_ms);  // this delete won: the policy acted once
  }
  return std::optional<Parameter>();
}

Status SsmService::PurgeExpired(int64_t now_ms, size_t max_parameters,
                                const ServiceActionFn& report) {
  constexpr size_t kBatch = 100;
  size_t deleted = 0, examined = 0;
  while (examined < max_parameters) {
    ARCANA_ASSIGN_OR_RETURN(auto refs, store_.ListParametersExpiredBefore(now_ms, kBatch));
    size_t deleted_before = deleted;
    for (const auto& r : refs) {
      ++examined;
      // Re-read for the revision: the delete is skipped if the parameter changed since.
      ARCANA_ASSIGN_OR_RETURN(auto p, store_.GetParameter(r.scope, r.key));
      if (!p) continue;
      auto exp = p->ExpiresMs();
      if (!exp || *exp > now_ms) continue;
      ARCANA_ASSIGN_OR_RETURN(auto gone,
                              store_.DeleteParameters(r.scope, {{r.key, p->revision}},
                                                      "ExpireParameter"));
      deleted += gone.size();
      if (!gone.empty()) PublishExpired(*p, now_ms);
      if (report && !gone.empty()) {
        report({"DeleteParameter", audit::kParameterType,
                dssm::ParameterArn(p->region, p->account, p->name), p->account, p->region});
      }
    }
    if (refs.size() < kBatch || deleted == deleted_before) break;
  }
  if (deleted > 0) spdlog::info("deleted {} expired parameter(s) (Expiration policy)", deleted);
  return Status::Ok();
}

namespace {
crypto::KeyScope ScopeOf(const Parameter& p, const crypto::KeyUseAuthorizer* caller) {
  return {p.account, p.region, dssm::kDefaultKeyAlias, caller};
}

// Parameter Store uses a key as the caller, with the KMS action AWS documents for the tier:
// a Standard SecureString is encrypted with kms:Encrypt, an Advanced one with a data key
// (kms:GenerateDataKey); reads need kms:Decrypt.
class ParameterKeyUse final : public crypto::KeyUseAuthorizer {
 public:
  ParameterKeyUse(const CallContext& ctx, const ParameterVersion& v)
      : caller_(ctx, "ssm"), advanced_(v.tier == "Advanced") {}
  Status AllowKeyUse(const crypto::KeyUse& use) const override {
    if (advanced_ || use.action != "kms:GenerateDataKey") return caller_.AllowKeyUse(use);
    crypto::KeyUse standard = use;
    standard.action = "kms:Encrypt";
    return caller_.AllowKeyUse(standard);
  }

 private:
  auth::CallerKeyUse caller_;
  bool advanced_;
};
// Values are bound to their parameter AND version: a value copied into another version's
// row does not decrypt there.
crypto::EncryptionContext ContextOf(const Parameter& p, const ParameterVersion& v) {
  return {{"PARAMETER_ARN", dssm::ParameterArn(p.region, p.account, p.name)},
          {"PARAMETER_VERSION", std::to_string(v.version)}};
}
// What values sealed before the version was bound (envelope format 1) used.
crypto::EncryptionContext LegacyContextOf(const Parameter& p) {
  return {{"PARAMETER_ARN", dssm::ParameterArn(p.region, p.account, p.name)}};
}
Status AsInvalidKeyId(const Status& st) {
  if (st.code() == ErrorCode::kInvalidKeyId || st.code() == ErrorCode::kAccessDenied) return st;
  return Status(ErrorCode::kInvalidKeyId, st.message());
}
}  // namespace

Status SsmService::KeyIdError(const std::string& account, const std::string& region,
                              std::string_view key_id, const Status& failure) {
  if (failure.code() == ErrorCode::kAccessDenied) return failure;
  Status kms = keys_.KmsKeyError({account, region, dssm::kDefaultKeyAlias, nullptr}, key_id);
  if (kms.ok()) return AsInvalidKeyId(failure);
  // As AWS answers PutParameter with a key KMS refuses (quoted from AWS: binxio/aws-ssm-copy#10
  // "Key '...' does not exist (Service: AWSKMS; Status Code: 400; Error Code:
  // NotFoundException; Request ID: ...; Proxy: null)", segmentio/chamber#355 "... is pending
  // deletion. (... Error Code: KMSInvalidStateException ...)", cloudposse/docs#152 "Alias ...
  // is not found. (...)").
  const AwsErrorInfo info = LookupError(kms.code());
  return Status(ErrorCode::kInvalidKeyId,
                kms.message() + " (Service: AWSKMS; Status Code: " +
                    std::to_string(info.http_status) + "; Error Code: " + std::string(info.type) +
                    "; Request ID: " + crypto::NewUuidV4() + "; Proxy: null)");
}

Result<std::string> SsmService::SealFor(const Parameter& p, const ParameterVersion& v,
                                        std::string_view plaintext, const CallContext& ctx) {
  if (v.type != dssm::kSecureString) return std::string(plaintext);
  std::string key_id = v.key_id == dssm::kDefaultKeyAlias ? "" : v.key_id;
  ParameterKeyUse caller(ctx, v);
  auto sealed =
      crypto::SealValue(keys_, ScopeOf(p, &caller), key_id, ContextOf(p, v), plaintext);
  if (!sealed.ok()) return KeyIdError(p.account, p.region, key_id, sealed.status());
  return sealed;
}

Result<std::string> SsmService::ValueFor(const Parameter& p, const ParameterVersion& v,
                                         const std::string& stored, bool decrypt,
                                         const CallContext& ctx) {
  if (v.type != dssm::kSecureString) return stored;
  if (!decrypt) return crypto::Base64Encode(stored);
  const crypto::EncryptionContext legacy = LegacyContextOf(p);
  ParameterKeyUse caller(ctx, v);
  auto plain =
      crypto::OpenValue(keys_, ScopeOf(p, &caller), ContextOf(p, v), stored, &legacy);
  // A key KMS refuses now (disabled, pending deletion) is worded as for encryption (AWS's
  // answer to a read under a key pending deletion: stelligent/mu#345).
  if (!plain.ok()) {
    return KeyIdError(p.account, p.region, v.key_id == dssm::kDefaultKeyAlias ? "" : v.key_id,
                      plain.status());
  }
  return plain;
}

Result<std::string> SsmService::LoadValue(const Parameter& p, const ParameterVersion& v,
                                          bool decrypt, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto stored, store_.GetParameterValue({p.account, p.region}, p.key,
                                                                v.version));
  if (!stored) {
    return Status(ErrorCode::kSsmInternalServerError, "stored value of a version is missing");
  }
  return ValueFor(p, v, *stored, decrypt, ctx);
}

}  // namespace arcana::services::ssm
