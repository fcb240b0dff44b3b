// The STS service (Query protocol, API 2011-06-15): GetCallerIdentity, GetSessionToken,
// GetFederationToken, AssumeRole, AssumeRoleWithWebIdentity, AssumeRoleWithSAML,
// GetAccessKeyInfo, DecodeAuthorizationMessage and GetWebIdentityToken. Temporary
// credentials (ASIA... + session token) are stored sealed (auth/identity_resolver.h) and
// expire; the authenticator refuses them afterwards with ExpiredToken.
// AssumeRole: the role's trust policy is evaluated by the policy engine like a key policy
// (auth/policy/evaluator.h): it must allow the caller, naming it directly or naming its
// account, in which case the caller's own identity policies must allow sts:AssumeRole too.
// Session tags as AWS checks them: keys are case insensitive (a key twice in any case, a
// TransitiveTagKeys entry naming no tag, or a chained session restating an inherited
// transitive tag otherwise are InvalidParameterValue); PackedPolicySize is answered only when
// the request passes session policies or tags.
// Thread-safety: handlers may run concurrently.
#pragma once

#include <string>

#include "auth/identity_resolver.h"
#include "auth/oidc_keys.h"
#include "auth/web_identity_issuer.h"
#include "common/json.h"
#include "services/common/query_service.h"
#include "storage/access_key_store.h"
#include "storage/identity_store.h"

namespace arcana::services::sts {

class StsService : public QueryService {
 public:
  // `root_keys`: the account root's access keys (GetAccessKeyInfo); `oidc_keys`: where web
  // identity tokens' signing keys come from. Both must outlive this object.
  StsService(storage::IdentityStore& store, storage::AccessKeyStore& root_keys,
             const auth::IdentityResolver& resolver, auth::OidcKeys& oidc_keys);

  // GetWebIdentityToken signs with this issuer (which must outlive this object). Call once,
  // at startup; without it that operation is InternalFailure.
  void IssueWebIdentityTokensWith(const auth::WebIdentityIssuer* issuer) { issuer_ = issuer; }

  std::string_view signing_name() const override { return "sts"; }
  const ModelValidator& validator() const override { return validator_; }
  const QueryProtocol& query() const override { return query_; }
  Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                           const CallContext& ctx) override;
  bool IsUnsigned(std::string_view operation) const override {
    return operation == "AssumeRoleWithWebIdentity" || operation == "AssumeRoleWithSAML";
  }

 private:
  Result<std::string> GetCallerIdentity(const json::Input& in, const CallContext& ctx);
  Result<std::string> GetSessionToken(const json::Input& in, const CallContext& ctx);
  Result<std::string> AssumeRole(const json::Input& in, const CallContext& ctx);
  // Credentials of a federated user (arn:aws:sts::ACCOUNT:federated-user/NAME) for an IAM user
  // allowed sts:GetFederationToken, or for the root (sessions of at most an hour): the
  // caller's permissions narrowed by the session policies (none given: no permissions).
  Result<std::string> GetFederationToken(const json::Input& in, const CallContext& ctx);
  // Credentials of a role for the bearer of an OpenID Connect ID token (web_identity_ops.cc):
  // unsigned; the token must come from an IAM OIDC provider of the role's account (its
  // signature checked against the issuer's keys, its audience one of the provider's client
  // ids, not expired), and the role's trust policy must allow that provider as a Federated
  // principal under the token's claims ("URL:aud", "URL:sub", ... condition keys).
  Result<std::string> AssumeRoleWithWebIdentity(const json::Input& in, const CallContext& ctx);
  // Credentials of a role for the bearer of a signed SAML 2.0 response (saml_ops.cc):
  // unsigned; the response must verify with the signing certificates of an IAM SAML provider's
  // metadata, be current, addressed to AWS's sign-in endpoint and offer this role with that
  // provider, and the role's trust policy must allow the provider as a Federated principal
  // under the assertion's saml:* condition keys.
  Result<std::string> AssumeRoleWithSAML(const json::Input& in, const CallContext& ctx);
  // The account that owns an access key id (access_key_info_ops.cc): a user's or the root's
  // key, or a session's; needs sts:GetAccessKeyInfo; a key not held here is NoSuchEntity.
  Result<std::string> GetAccessKeyInfo(const json::Input& in, const CallContext& ctx);
  // Refuses every message (decode_authorization_message_ops.cc: no service here encodes one)
  // once the caller is allowed sts:DecodeAuthorizationMessage.
  Result<std::string> DecodeAuthorizationMessage(const json::Input& in, const CallContext& ctx);
  // A JWT asserting the caller's identity to an external service, signed by its account's
  // issuer (web_identity_token_ops.cc); needs sts:GetWebIdentityToken and the account's
  // outbound identity federation enabled (IAM EnableOutboundWebIdentityFederation).
  Result<std::string> GetWebIdentityToken(const json::Input& in, const CallContext& ctx);

  storage::IdentityStore& store_;
  storage::AccessKeyStore& root_keys_;
  const auth::IdentityResolver& resolver_;
  auth::OidcKeys& oidc_keys_;
  const auth::WebIdentityIssuer* issuer_ = nullptr;
  ModelValidator validator_;
  QueryProtocol query_;
};

}  // namespace arcana::services::sts
