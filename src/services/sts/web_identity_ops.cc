// STS AssumeRoleWithWebIdentity: temporary credentials of a role for the bearer of an OpenID
// Connect ID token, the way CI systems (GitHub Actions, GitLab), Kubernetes service accounts
// and identity providers hand workloads AWS credentials without a stored secret.
// What is checked, in order: the request's members; the token is a JWT whose issuer is an
// IAM OIDC provider of the role's account ("No OpenIDConnect provider found in your account
// for ISSUER"); it has not expired (ExpiredTokenException in AWS's words); one of its
// audiences is one of the provider's client ids ("Incorrect token audience"); its signature
// verifies with one of the issuer's published keys (auth/oidc_keys.h); the role exists and its
// trust policy allows sts:AssumeRoleWithWebIdentity to the provider as a Federated principal
// under the token's claims (otherwise "Not authorized to perform
// sts:AssumeRoleWithWebIdentity", 403), and sts:TagSession when the token carries session
// tags. Nothing about the caller comes from a signature: the request is unsigned.
#include <algorithm>

#include "auth/authorizer.h"
#include "crypto/jws.h"
#include "domain/iam/web_identity_token.h"
#include "services/sts/session_rules.h"
#include "services/sts/sts_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::sts {
namespace {

using auth::PolicySource;
using auth::Principal;
using domain::iam::OidcProvider;
using domain::iam::Session;
using domain::iam::WebIdentityToken;

constexpr const char* kAction = "sts:AssumeRoleWithWebIdentity";
// Clock difference allowed between the issuer and Arcana for a token's nbf and iat.
constexpr int64_t kClockSkewSeconds = 300;

Status NotAuthorized() {
  return Status(ErrorCode::kAccessDenied, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
}

// The audience the token was issued for that the provider accepts ("" when none). As IAM
// reads a token: its client is the authorized party (azp) when the token names one (the
// `URL:aud` key is then azp, `URL:oaud` the aud claim), else one of its aud values. A token
// whose azp is another client is refused whatever its aud says (AWS refuses an Entra ID v2
// token whose azp is not a registered client id though its aud is one: aws/aws-sdk-net#3071).
std::string AcceptedAudience(const WebIdentityToken& t, const OidcProvider& provider) {
  auto accepted = [&](const std::string& a) {
    return std::find(provider.client_ids.begin(), provider.client_ids.end(), a) !=
           provider.client_ids.end();
  };
  if (!t.authorized_party.empty()) return accepted(t.authorized_party) ? t.authorized_party : "";
  for (const auto& a : t.audiences) {
    if (accepted(a)) return a;
  }
  return {};
}

// The signature, against each key the issuer may have signed with.
Status VerifySignature(const WebIdentityToken& t, const std::vector<crypto::JwkPublicKey>& keys) {
  for (const auto& key : keys) {
    auto ok = crypto::VerifyJws(t.alg, key, t.signing_input, t.signature);
    if (ok.ok() && *ok) return Status::Ok();
  }
  return Status(ErrorCode::kInvalidIdentityToken,
                "The web identity token provided could not be validated: its signature does "
                "not verify with the identity provider's keys");
}

// The keys a trust policy may test: the provider's claims as IAM names them
// ("PROVIDER_URL:aud", ":sub", ":amr", ":azp", ":email"), the session's name and tags, and the
// request's own (aws:SourceIp, aws:CurrentTime, ...).
policy::ContextKeys TrustContext(const Principal& web, const CallContext& ctx,
                                 const std::string& url, const WebIdentityToken& t,
                                 const std::string& audience, const Session& s) {
  policy::ContextKeys keys;
  keys.Set(url + ":aud", audience);
  if (!t.authorized_party.empty()) {
    keys.Set(url + ":azp", t.authorized_party);
    if (!t.audiences.empty()) keys.SetList(url + ":oaud", t.audiences);
  }
  keys.Set(url + ":sub", t.subject);
  if (!t.amr.empty()) keys.SetList(url + ":amr", t.amr);
  if (!t.email.empty()) keys.Set(url + ":email", t.email);
  keys.Set("aws:FederatedProvider", web.arn);
  AddSessionKeys(s, &keys);
  auth::AddCallerKeys(ctx, web, &keys);
  return keys;
}

}  // namespace

Result<std::string> StsService::AssumeRoleWithWebIdentity(const json::Input& in,
                                                          const CallContext& ctx) {
  ARCANA_RETURN_IF_ERROR(CheckSessionName(in.Str("RoleSessionName").value_or("")));
  const std::string role_arn = *in.Str("RoleArn");
  std::string account, role_name;
  ARCANA_RETURN_IF_ERROR(ParseRoleArn(role_arn, &account, &role_name));

  // The token: its issuer must be a provider of the role's account.
  ARCANA_ASSIGN_OR_RETURN(WebIdentityToken token,
                          domain::iam::ParseWebIdentityToken(*in.Str("WebIdentityToken")));
  const std::string url = domain::iam::OidcProviderUrlOf(token.issuer);
  std::optional<storage::IamEntity> entity;
  if (!url.empty()) {
    ARCANA_ASSIGN_OR_RETURN(entity, store_.GetEntity(account, storage::kOidcProviderKind, url));
  }
  // The store matches names without case (as IAM names); provider URLs match exactly.
  if (entity && entity->name != url) entity.reset();
  if (!entity) {
    // The issuer as the token spells it (bounded: it is the caller's text).
    return Status(ErrorCode::kInvalidIdentityToken,
                  "No OpenIDConnect provider found in your account for " +
                      token.issuer.substr(0, 512));
  }
  ARCANA_ASSIGN_OR_RETURN(OidcProvider provider, storage::OidcProviderFromEntity(*entity));
  ARCANA_RETURN_IF_ERROR(domain::iam::CheckTokenTimes(token, ctx.now_ms / 1000, kClockSkewSeconds));
  const std::string audience = AcceptedAudience(token, provider);
  if (audience.empty()) return Status(ErrorCode::kInvalidIdentityToken, "Incorrect token audience");
  if (!crypto::IsSupportedJwsAlgorithm(token.alg)) {
    return Status(ErrorCode::kInvalidIdentityToken,
                  "The web identity token provided could not be validated: its signing "
                  "algorithm is not supported");
  }
  ARCANA_ASSIGN_OR_RETURN(auto keys, oidc_keys_.KeysFor(token.issuer, token.kid, token.alg,
                                                        provider.thumbprints, ctx.now_ms));
  ARCANA_RETURN_IF_ERROR(VerifySignature(token, keys));
  // The IdP signs the tags, but they become session tags: AssumeRole's rules apply.
  ARCANA_RETURN_IF_ERROR(CheckTokenSessionTags(token.principal_tags));
  // So does the source identity (AssumeRole's SourceIdentity: 2 to 64 characters of
  // [\w+=,.@-], which leaves no room for the reserved "aws:" prefix). Not echoed: the value
  // is unbounded caller text. A present claim that is not a string reads as "" and is refused
  // here too (not taken as absent).
  if (token.has_source_identity &&
      (token.source_identity.size() < 2 || token.source_identity.size() > 64 ||
       !CheckSessionName(token.source_identity).ok())) {
    return Status(ErrorCode::kInvalidIdentityToken,
                  "The source identity of the web identity token "
                  "(https://aws.amazon.com/source_identity) must be 2 to 64 characters of "
                  "[\\w+=,.@-]");
  }

  // The caller, as the trust policy sees it: the provider, named as a Federated principal.
  Principal web;
  web.type = Principal::Type::kWebIdentity;
  web.account = account;
  web.arn = provider.Arn();
  web.principal_arn = web.arn;
  web.user_id = url + ":" + audience + ":" + token.subject;

  ARCANA_ASSIGN_OR_RETURN(auto found, FindRoleByArn(store_, account, role_name, role_arn));
  if (!found) return NotAuthorized();
  const domain::iam::Identity& role = *found;

  // Session tags from the token's https://aws.amazon.com/tags claim; the source identity from
  // its claim, kept by every session chained from this one (IAM User Guide, "Using source
  // identity with AssumeRoleWithWebIdentity").
  ARCANA_ASSIGN_OR_RETURN(
      Session session,
      FederatedSession(in, web, role,
                       {provider.Arn(), token.subject, &token.principal_tags,
                        &token.transitive_tag_keys, token.source_identity}));
  ARCANA_ASSIGN_OR_RETURN(const int64_t seconds, SessionSeconds(in, role));
  const int64_t packed = PackedPolicySize(session);
  ARCANA_RETURN_IF_ERROR(CheckPackedPolicySize(packed));

  const policy::ContextKeys context = TrustContext(web, ctx, url, token, audience, session);
  const bool tagged = !token.principal_tags.empty();
  if (!FederatedTrustAllows(role, role_arn, account, web, context, kAction, tagged, session)) {
    return NotAuthorized();
  }

  ARCANA_ASSIGN_OR_RETURN(auto key, resolver_.CreateSession(account, session, ctx.now_ms, seconds));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteRoleSession(w, key, account, role, session, tagged, packed);
  json::KV(w, "SubjectFromWebIdentityToken", token.subject);
  json::KV(w, "Provider", provider.Arn());
  json::KV(w, "Audience", audience);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sts
