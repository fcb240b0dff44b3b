// The SSM Parameter Store service (X-Amz-Target "AmazonSSM.*", signing name "ssm", API
// 2014-11-06). Only the Parameter Store operations are served, with Parameter Store's service
// settings (Get/Update/ResetServiceSetting: the default parameter tier PutParameter applies,
// high throughput; ssm_settings_ops.cc) and the resource policies that share an Advanced
// parameter with other accounts (ssm_resource_policy_ops.cc; another account reads a shared
// parameter by its full ARN); every other operation of the
// SSM model answers UnknownOperationException "... is not supported by this server", the same
// error the pipeline gives for targets outside every model, so clients fail fast and clearly.
//
// SecureString values are sealed with envelope encryption (crypto/envelope.h) under the
// parameter's KeyId (default alias/aws/ssm) with EncryptionContext
// {"PARAMETER_ARN": arn, "PARAMETER_VERSION": n} (values sealed before the version was bound,
// envelope format 1, open with {"PARAMETER_ARN": arn} alone);
// reads without WithDecryption return base64 of the sealed blob (an opaque ciphertext, as AWS
// returns a ciphertext). Names under /aws/reference/secretsmanager/ are answered by calling
// the Secrets Manager service in-process (ssm_reference.cc).
//
// Thread-safety: every handler may run concurrently, in this process and on other nodes
// sharing the store. A write is a read-modify-commit at the parameter's revision, re-run on
// kWriteConflict (services/common/write_retry.h); lists read the store a bounded page at a
// time. An AllowedPattern is compiled once per request and matched in linear time
// (common/pattern.h).
#pragma once

#include <string>
#include <unordered_map>

#include "common/json.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "domain/ssm/parameter.h"
#include "domain/ssm/service_settings.h"
#include "services/common/service.h"
#include "storage/parameter_store.h"

namespace arcana::services::sm {
class SecretsManagerService;
}
namespace arcana::events {
class EventBus;
}

namespace arcana::services::ssm {

using domain::ssm::Parameter;
using domain::ssm::ParameterVersion;

// The parameters an account may have in a region, per tier: AWS's quotas (10,000 Standard,
// 100,000 Advanced) unless the operator sets others (arcanad --ssm-standard-parameters-quota,
// --ssm-advanced-parameters-quota; config/config.h). A create beyond its tier's quota is
// ParameterLimitExceeded; Intelligent-Tiering creates an Advanced parameter once Standard is
// full. Every node of a cluster needs the same.
struct SsmQuotas {
  int64_t standard = 10000;
  int64_t advanced = 100000;
};

class SsmService : public Service {
 public:
  // secrets_manager may be null (references then answer ParameterNotFound).
  SsmService(storage::ParameterStore& store, crypto::DataKeyProvider& keys,
             const crypto::RootKey& root, sm::SecretsManagerService* secrets_manager);

  std::string_view target_prefix() const override { return "AmazonSSM"; }
  std::string_view signing_name() const override { return "ssm"; }
  const ModelValidator& validator() const override { return validator_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;
  // GetParameter and GetParameters (at most 10 names; SecureString values open under a
  // symmetric key).
  bool MayAnswerInline(std::string_view operation) const override;

  // The quotas in force (call once, at startup; without it, AWS's).
  void SetQuotas(const SsmQuotas& quotas) { quotas_ = quotas; }
  // Where Parameter Store's own EventBridge events go (ssm_events.cc): this node's bus, so
  // that each change is published once, by the node that committed it. Call once, at
  // startup; without it (or with null) none is sent.
  void PublishTo(::arcana::events::EventBus* bus) { bus_ = bus; }

  // Deletes parameters whose Expiration policy has passed (at most `max_parameters` per
  // call), each at the revision that showed it expired, so a concurrent overwrite (which
  // replaces the policy) wins. Called periodically (once across a cluster: a leased job).
  // report (may be empty): one DeleteParameter action per expired parameter deleted.
  Status PurgeExpired(int64_t now_ms, size_t max_parameters = 10000,
                      const ServiceActionFn& report = {});

  // Whether `caller` may read the parameter `arn` in `region` (ssm:GetParameter with the
  // parameter's tags and resource policies; one that is gone: on its ARN alone, and never
  // for another account's). Another account's parameter as a shared one read by its ARN.
  // For the change stream (auth/change_visibility.h). Reads only: an expired parameter is
  // not deleted here.
  bool MayReadValue(const CallContext& caller, const std::string& region,
                    const std::string& arn);

 private:
  using In = json::Input;
  using Handler = Result<std::string> (SsmService::*)(const In&, const CallContext&);

  // --- shared steps (ssm_service.cc) ---
  // The live parameter at a canonical key, or nullopt (absent or expired: an expired one is
  // deleted on the way, at the revision read). owner: another account whose parameter the
  // caller named by full ARN (a shared parameter); "" = the caller's account.
  // Also authorizes ctx.action on the parameter (found or not): AccessDeniedException first.
  Result<std::optional<Parameter>> Find(const CallContext& ctx, const std::string& key,
                                        const std::string& owner = {});
  // ctx.action on the parameter ARN (with its tags and resource policies when it exists),
  // owned by `owner` ("" = the caller's account).
  static Status AuthorizeParameter(const CallContext& ctx, const std::string& arn,
                                   const Parameter* p, const std::string& owner = {});
  // Seals a SecureString value for a version (or passes other types through), using its KMS
  // key as the caller `ctx` (kms:Encrypt for Standard, kms:GenerateDataKey for Advanced
  // parameters, via ssm.REGION.amazonaws.com, as AWS documents Parameter Store's KMS use).
  // Errors: kAccessDenied when the caller may not use the key; kInvalidKeyId otherwise.
  Result<std::string> SealFor(const Parameter& p, const ParameterVersion& v,
                              std::string_view plaintext, const CallContext& ctx);
  // A failed use of KMS key key_id ("" = alias/aws/ssm) for encryption, as Parameter Store
  // answers it: InvalidKeyId carrying KMS's own error as its Java SDK prints it ("<KMS
  // message> (Service: AWSKMS; Status Code: 400; Error Code: <KMS code>; Request ID: ...;
  // Proxy: null)"), when KMS itself refuses the key; kAccessDenied is passed on as is.
  Status KeyIdError(const std::string& account, const std::string& region,
                    std::string_view key_id, const Status& failure);
  // The value of a version as returned to the caller: plaintext (kms:Decrypt as the caller,
  // via Parameter Store), or for SecureString without decryption the base64 ciphertext.
  // Errors: kAccessDenied when the caller may not decrypt; kInvalidKeyId when the key cannot.
  Result<std::string> ValueFor(const Parameter& p, const ParameterVersion& v,
                               const std::string& stored, bool decrypt, const CallContext& ctx);
  // Reads and presents one version's value.
  Result<std::string> LoadValue(const Parameter& p, const ParameterVersion& v, bool decrypt,
                                const CallContext& ctx);

  // --- operations ---
  Result<std::string> PutParameter(const In&, const CallContext&);
  Result<std::string> DeleteParameter(const In&, const CallContext&);
  Result<std::string> DeleteParameters(const In&, const CallContext&);
  Result<std::string> LabelParameterVersion(const In&, const CallContext&);
  Result<std::string> UnlabelParameterVersion(const In&, const CallContext&);
  Result<std::string> AddTagsToResource(const In&, const CallContext&);
  Result<std::string> RemoveTagsFromResource(const In&, const CallContext&);
  Result<std::string> ListTagsForResource(const In&, const CallContext&);
  Result<std::string> GetParameter(const In&, const CallContext&);
  Result<std::string> GetParameters(const In&, const CallContext&);
  Result<std::string> GetParametersByPath(const In&, const CallContext&);
  Result<std::string> DescribeParameters(const In&, const CallContext&);
  Result<std::string> GetParameterHistory(const In&, const CallContext&);
  Result<std::string> GetServiceSetting(const In&, const CallContext&);
  Result<std::string> UpdateServiceSetting(const In&, const CallContext&);
  Result<std::string> ResetServiceSetting(const In&, const CallContext&);
  // Resource policies of Advanced parameters (ssm_resource_policy_ops.cc).
  Result<std::string> PutResourcePolicy(const In&, const CallContext&);
  Result<std::string> GetResourcePolicies(const In&, const CallContext&);
  Result<std::string> DeleteResourcePolicy(const In&, const CallContext&);

  // One GetParameter(s) lookup: writes a `Parameter` object. kParameterNotFound /
  // kParameterVersionNotFound / kInvalidKeyId / kValidation.
  Status GetOne(json::Writer& w, const std::string& name, bool decrypt, const CallContext& ctx);
  // /aws/reference/secretsmanager/<id>[:selector] (ssm_reference.cc).
  static bool IsReference(std::string_view name);
  Status GetReference(json::Writer& w, const std::string& name, bool decrypt,
                      const CallContext& ctx);
  // The parameter named by a ResourceId of the tagging operations (kInvalidResourceType /
  // kInvalidResourceId).
  Result<Parameter> TagTarget(const In& in, const CallContext& ctx);
  // The service setting a SettingId names (its id or ARN) in the caller's scope, once
  // ctx.action is authorized on the setting's ARN (kServiceSettingNotFound first, for an id
  // AWS does not document or this server does not serve; then kAccessDenied).
  Result<const domain::ssm::ServiceSettingSpec*> SettingTarget(const In& in,
                                                               const CallContext& ctx);
  // The parameter a ResourceArn of the resource-policy operations names, in the caller's
  // account, once ctx.action is authorized on it (kResourcePolicyInvalidParameter for what is
  // not a parameter ARN of this region; kAccessDenied; kResourceNotFound).
  Result<Parameter> PolicyTarget(const In& in, const CallContext& ctx);
  // The account's default-parameter-tier setting in the caller's scope (Standard unless set).
  Result<std::string> DefaultParameterTier(const CallContext& ctx);

  // --- EventBridge events, as Parameter Store sends them (ssm_events.cc) ---
  // "Parameter Store Change" for a committed change of p (operation: Create, Update, Delete,
  // LabelParameterVersion), with v the version whose type and description it names.
  void PublishChange(const Parameter& p, const ParameterVersion& v, const char* operation,
                     int64_t now_ms);
  // "Parameter Store Policy Action" when p's Expiration policy deleted it.
  void PublishExpired(const Parameter& p, int64_t now_ms);

  storage::ParameterStore& store_;
  crypto::DataKeyProvider& keys_;
  sm::SecretsManagerService* secrets_manager_;
  crypto::DerivedKey page_key_;  // NextToken MACs
  SsmQuotas quotas_;
  ::arcana::events::EventBus* bus_ = nullptr;
  ModelValidator validator_;
  std::unordered_map<std::string, Handler> handlers_;
};

}  // namespace arcana::services::ssm
