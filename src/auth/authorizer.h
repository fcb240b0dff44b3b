// Authorization: may this caller perform this action on this resource? One Authorizer
// decides every call of every service (and the in-process calls between them) with the IAM
// policy engine (auth/policy/evaluator.h). Services resolve, per operation, the IAM
// action, the resource (ARN, owner account, tags, resource or key policy) and the request's
// context keys into an AccessRequest and ask; handlers keep no policy logic.
//
// The caller is CallContext::principal (auth/principal.h). When it is null (dev mode, or
// before identities exist) the caller is the root of ctx.account named ctx.principal_arn:
// root may do everything in its own account that no policy explicitly denies.
// Thread-safety: Authorize/Decide may be called concurrently.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy/evaluator.h"
#include "auth/policy/policy_cache.h"
#include "auth/policy/request_context.h"
#include "common/status.h"
#include "crypto/envelope.h"
#include "services/common/service.h"

namespace arcana::auth {

struct AccessRequest {
  std::string action;         // "secretsmanager:GetSecretValue"
  std::string resource_arn;   // "*" for actions on no particular resource
  std::string resource_account;  // owner; empty: the caller's account (ctx.account)
  // What a denial message names as the resource; empty: resource_arn. Secrets Manager names
  // the SecretId (or Name) as the caller wrote it, as AWS does ("on resource: prod/db").
  std::string denial_resource;
  // aws:ResourceTag/K (and "<service_tag_prefix>:ResourceTag/K" when the prefix is set, e.g.
  // secretsmanager:ResourceTag/K).
  const std::map<std::string, std::string>* resource_tags = nullptr;
  std::string_view service_tag_prefix;
  // The secret's resource policy or the KMS key policy (JSON text; parsed once, cached).
  // One the engine cannot compile allows nothing to anyone (fail closed: its Deny
  // statements cannot be honoured), never reads as "no policy".
  const std::string* resource_policy = nullptr;
  std::string resource_policy_id;  // its source id in decisions ("arn/resource-policy")
  bool kms_key = false;            // the key policy is required (default key policy if null)
  std::vector<policy::KmsGrantView> grants;
  // kms:CreateGrant: the grant asked for (policy::ResourceView::requested_grant).
  std::optional<policy::KmsGrantView> requested_grant;
  // Request keys: service keys (secretsmanager:SecretId, kms:EncryptionContext:K, ...),
  // aws:RequestTag/K, aws:TagKeys. The authorizer adds the principal's and the
  // transport's keys (aws:PrincipalArn, aws:SourceIp, aws:CurrentTime, kms:ViaService, ...).
  policy::ContextKeys keys;
};

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // The full decision (with the matched statements and the reason).
  virtual policy::Decision Decide(const services::CallContext& ctx,
                                  const AccessRequest& req) const = 0;
  // OK, or kAccessDenied with AWS's message ("User: ARN is not authorized to perform: ...").
  Status Authorize(const services::CallContext& ctx, const AccessRequest& req) const;
};

// The IAM policy engine over the caller's Principal. Policies are compiled once (PolicyCache).
class PolicyAuthorizer final : public Authorizer {
 public:
  policy::Decision Decide(const services::CallContext& ctx,
                          const AccessRequest& req) const override;
  const policy::PolicyCache& cache() const { return cache_; }

 private:
  policy::PolicyCache cache_;
};

// The grants of one KMS key, a store page at a time: the page after grant id `after`
// (from ""), empty once every grant was listed.
using KmsGrantPage = std::function<Result<std::vector<policy::KmsGrantView>>(
    const std::string& after, std::string* last_grant_id)>;

// A KMS key's authorization, as KMS and the services using a key on a caller's behalf
// (CallerKeyUse) both make it: the key policy and identity policies, then - only when they
// leave it an implicit deny - the key's grants naming the caller, every page of them (a key
// may hold 50,000 grants: none may be skipped). `req` carries the key policy; its grants
// are filled here. A store error listing the grants leaves the first decision standing.
policy::Decision DecideKmsKeyAccess(const services::CallContext& ctx, AccessRequest& req,
                                    const KmsGrantPage& grants);

// What a service calls: ctx.authorizer->Authorize(ctx, req), or OK when the context has no
// authorizer (a service driven directly by unit tests; the pipeline always sets one).
Status Check(const services::CallContext& ctx, const AccessRequest& req);

// The caller the engine sees: ctx.principal, or the root of ctx.account when it is null.
const Principal& CallerOf(const services::CallContext& ctx, Principal* scratch);

// Context keys of the caller and the transport (aws:PrincipalArn, aws:PrincipalAccount,
// aws:PrincipalTag/*, aws:PrincipalType, aws:username, aws:userid, aws:SourceIp,
// aws:CurrentTime, aws:EpochTime, aws:SecureTransport, aws:RequestedRegion, kms:ViaService,
// kms:CallerAccount) added to `keys` without replacing what the service set.
void AddCallerKeys(const services::CallContext& ctx, const Principal& p,
                   policy::ContextKeys* keys);

// A service using a customer-managed KMS key on the caller's behalf (Secrets Manager and
// Parameter Store sealing or opening a value): the caller needs the KMS action on the key,
// with kms:ViaService = "<service>.<region>.amazonaws.com" and the encryption context as
// kms:EncryptionContext:* keys; the key's grants (KeyUse::grants) allow their grantees as in
// KMS (DecideKmsKeyAccess). Denials are kAccessDenied in the service's words: Secrets
// Manager's "Access to KMS is not allowed"; Parameter Store's KMS message for a decryption
// ("The ciphertext refers to a customer master key that does not exist, ...") and KMS's
// "User: ... is not authorized to perform: kms:Encrypt on resource: KEY ..." for an
// encryption. An AWS managed key serves only its own account: another
// account's caller gets kInvalidRequest ("You can't access a secret from a different AWS
// account if you encrypt the secret with the default KMS service key.", as Secrets Manager
// says) without a policy evaluation, or, decrypting a shared SecureString, Parameter Store's
// decryption denial above. Holds references: lives for one call.
class CallerKeyUse final : public crypto::KeyUseAuthorizer {
 public:
  CallerKeyUse(const services::CallContext& ctx, std::string_view service);
  Status AllowKeyUse(const crypto::KeyUse& use) const override;

 private:
  services::CallContext ctx_;  // with via_service set
  std::string service_;
};

}  // namespace arcana::auth
