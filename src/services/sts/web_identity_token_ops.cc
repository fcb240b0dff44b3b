// STS GetWebIdentityToken: a JSON Web Token, signed by the caller's account's issuer
// (auth/web_identity_issuer.h), that asserts the caller's identity to an external service.
// In order: the request's rules (domain/iam/outbound_token.h: the algorithm, the subject
// mode, Scope, tag keys); the caller's permission, sts:GetWebIdentityToken on "*" with the
// condition keys AWS documents (sts:IdentityTokenAudience, sts:DurationSeconds,
// sts:SigningAlgorithm, sts:SubjectMode, aws:RequestTag/*, aws:TagKeys); the account's federation enabled
// (OutboundWebIdentityFederationDisabledException, 403); a token of temporary credentials
// ending no later than they do (SessionDurationEscalationException, 403). The token: sub and
// principal_id the caller's ARN (a role session's: the role's), aud the audiences, iat and
// exp, a jti, and under "https://sts.amazonaws.com/" the account, the region asked and the
// caller's and the request's tags.
#include "auth/authorizer.h"
#include "auth/web_identity_issuer.h"
#include "crypto/random.h"
#include "domain/iam/outbound_token.h"
#include "services/sts/sts_service.h"

namespace arcana::services::sts {
namespace {

// A token longer than this is refused (JWTPayloadSizeExceededException): AWS's limit is not
// published; tags are what grow a token (50 of 128 + 256 characters fit well within it).
constexpr size_t kMaxClaimsBytes = 32 * 1024;

}  // namespace

Result<std::string> StsService::GetWebIdentityToken(const json::Input& in,
                                                    const CallContext& ctx) {
  if (issuer_ == nullptr) return Status(ErrorCode::kInternalFailure, "no token issuer");
  auth::Principal root = auth::RootPrincipal(ctx.account, ctx.access_key_id);
  const auth::Principal& caller = ctx.principal ? *ctx.principal : root;
  domain::iam::TokenRequest req;
  req.audience = in.StrList("Audience").value_or(std::vector<std::string>{});
  req.duration_seconds = in.Int("DurationSeconds").value_or(domain::iam::kDefaultTokenSeconds);
  req.algorithm = in.Str("SigningAlgorithm").value_or("");
  req.scope = in.Str("Scope");
  req.subject_mode = in.Str("SubjectMode").value_or("AWSIdentity");
  if (const auto* tags = in.Get("Tags"); tags != nullptr && tags->IsArray()) {
    for (const auto& t : tags->GetArray()) {
      req.tags.emplace_back(json::StrField(t, "Key"), json::StrField(t, "Value"));
    }
  }
  ARCANA_RETURN_IF_ERROR(domain::iam::CheckTokenRequest(req));

  auth::AccessRequest access;
  access.action = "sts:GetWebIdentityToken";
  access.resource_arn = "*";
  access.keys.SetList("sts:IdentityTokenAudience", req.audience);
  access.keys.Set("sts:DurationSeconds", std::to_string(req.duration_seconds));
  access.keys.Set("sts:SigningAlgorithm", req.algorithm);
  access.keys.Set("sts:SubjectMode", req.subject_mode);
  std::vector<std::string> tag_keys;
  for (const auto& [k, v] : req.tags) {
    access.keys.Set("aws:RequestTag/" + k, v);
    tag_keys.push_back(k);
  }
  if (!tag_keys.empty()) access.keys.SetList("aws:TagKeys", std::move(tag_keys));
  ARCANA_RETURN_IF_ERROR(auth::Check(ctx, access));

  ARCANA_ASSIGN_OR_RETURN(auto state, issuer_->Load(ctx.account));
  if (!state || !state->enabled) {
    return Status(ErrorCode::kOutboundFederationDisabled,
                  "Outbound web identity federation is disabled for this account.");
  }
  const int64_t expires_ms = ctx.now_ms + req.duration_seconds * 1000;
  if (caller.temporary && caller.session_expires_ms != 0 &&
      expires_ms > caller.session_expires_ms) {
    return Status(ErrorCode::kSessionDurationEscalation,
                  "The requested token duration would extend the session beyond its original "
                  "expiration time.");
  }
  domain::iam::TokenClaims claims;
  claims.issuer = issuer_->IssuerUrl(ctx.account, state->issuer_id);
  claims.audience = req.audience;
  claims.subject = caller.principal_arn.empty() ? caller.arn : caller.principal_arn;
  claims.issued_at_s = ctx.now_ms / 1000;
  claims.expires_s = expires_ms / 1000;
  claims.token_id = crypto::NewUuidV4();
  claims.account = ctx.account;
  claims.region = ctx.region;
  claims.principal_arn = claims.subject;
  claims.principal_tags.assign(caller.tags.begin(), caller.tags.end());
  claims.request_tags = req.tags;
  const std::string claims_json = domain::iam::TokenClaimsJson(claims);
  if (claims_json.size() > kMaxClaimsBytes) {
    return Status(ErrorCode::kJwtPayloadSizeExceeded,
                  "The requested token payload size exceeds the maximum allowed size.");
  }
  ARCANA_ASSIGN_OR_RETURN(std::string token, issuer_->Sign(*state, req.algorithm, claims_json));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "WebIdentityToken", token);
  w.Key("Expiration");
  json::WriteTimestamp(w, claims.expires_s * 1000);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sts
