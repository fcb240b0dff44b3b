// STS AssumeRoleWithSAML: temporary credentials of a role for the bearer of a SAML 2.0 response
// from an identity provider the role's account trusts (an IAM SAML provider), the way
// saml2aws, gimme-aws-creds, aws-google-auth and IdP-driven CLIs hand people AWS credentials.
// What is checked, in order: the request's ARNs ("Request ARN is invalid", "Principal ARN is
// invalid": AWS's ValidationError texts as users quote them); the provider exists; the response
// is base64 XML whose Response or Assertion signature verifies with a signing certificate of
// the provider's metadata (crypto/saml_xml.h); the assertion was issued by the metadata's
// entity, is current and addressed to AWS's sign-in endpoint, names a session
// (domain/iam/saml_assertion.h); its Role attribute offers this (role, provider) pair; the
// role's trust policy allows sts:AssumeRoleWithSAML to the provider as a Federated principal
// under the assertion's saml:* keys (and sts:TagSession / sts:SetSourceIdentity when the
// assertion sets tags or a source identity). Nothing about the caller comes from a signature:
// the request is unsigned ("Calling AssumeRoleWithSAML does not require the use of AWS
// security credentials", the API reference).
#include "auth/authorizer.h"
#include "crypto/base64.h"
#include "crypto/saml_xml.h"
#include "crypto/secure_memory.h"
#include "domain/iam/saml_assertion.h"
#include "services/sts/session_rules.h"
#include "services/sts/sts_service.h"
#include "storage/identity_codec.h"

namespace arcana::services::sts {
namespace {

using auth::Principal;
using domain::iam::SamlClaims;
using domain::iam::SamlProvider;
using domain::iam::Session;

constexpr const char* kSamlAction = "sts:AssumeRoleWithSAML";

Status SamlNotAuthorized() {
  return Status(ErrorCode::kAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML");
}

// arn:aws:iam::ACCOUNT:saml-provider/NAME -> account and name.
bool ParseProviderArn(const std::string& arn, std::string* account, std::string* name) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  constexpr std::string_view kResource = ":saml-provider/";
  const size_t at = arn.find(kResource);
  if (!arn.starts_with(kPrefix) || at == std::string::npos || at <= kPrefix.size() ||
      at + kResource.size() >= arn.size()) {
    return false;
  }
  *account = arn.substr(kPrefix.size(), at - kPrefix.size());
  *name = arn.substr(at + kResource.size());
  return true;
}

// The keys a trust policy may test (the IAM User Guide, "Available keys for SAML-based AWS STS
// federation"): saml:aud is the Recipient, saml:doc "ACCOUNT/PROVIDER", the mapped attributes
// as lists; the session's name and tags, and the request's own keys.
policy::ContextKeys SamlTrustContext(const Principal& saml, const CallContext& ctx,
                                 const SamlClaims& c, const std::string& doc,
                                 const std::string& name_qualifier, const Session& s) {
  policy::ContextKeys keys;
  keys.Set("saml:aud", c.recipient);
  keys.Set("saml:iss", c.issuer);
  keys.Set("saml:sub", c.subject);
  keys.Set("saml:sub_type", c.subject_type);
  keys.Set("saml:doc", doc);
  keys.Set("saml:namequalifier", name_qualifier);
  for (const auto& [key, values] : c.attribute_keys) keys.SetList(key, values);
  keys.Set("aws:FederatedProvider", saml.arn);
  AddSessionKeys(s, &keys);
  auth::AddCallerKeys(ctx, saml, &keys);
  return keys;
}

}  // namespace

Result<std::string> StsService::AssumeRoleWithSAML(const json::Input& in, const CallContext& ctx) {
  const std::string role_arn = *in.Str("RoleArn");
  const std::string provider_arn = *in.Str("PrincipalArn");
  std::string account, role_name, provider_account, provider_name;
  // The two ARNs swapped are refused in AWS's words (Versent/saml2aws#536,
  // physera/onelogin-aws-cli#12); an ARN that is no ARN in AssumeRole's.
  if (role_arn.find(":saml-provider/") != std::string::npos) {
    return Status(ErrorCode::kValidation, "Request ARN is invalid");
  }
  ARCANA_RETURN_IF_ERROR(ParseRoleArn(role_arn, &account, &role_name));
  if (!ParseProviderArn(provider_arn, &provider_account, &provider_name)) {
    return Status(ErrorCode::kValidation, "Principal ARN is invalid");
  }

  // The provider, in its own account (a trust policy names it by its ARN); "Specified
  // provider doesn't exist" is the IAM User Guide's troubleshooting text.
  ARCANA_ASSIGN_OR_RETURN(auto entity, store_.GetEntity(provider_account,
                                                        storage::kSamlProviderKind,
                                                        provider_name));
  if (!entity || entity->name != provider_name) {
    return Status(ErrorCode::kInvalidIdentityToken, "Specified provider doesn't exist");
  }
  ARCANA_ASSIGN_OR_RETURN(SamlProvider provider, storage::SamlProviderFromEntity(*entity));
  auto metadata = crypto::ParseSamlMetadata(provider.metadata);
  if (!metadata.ok()) return Status(ErrorCode::kInvalidIdentityToken, "Could not parse metadata.");

  auto xml = crypto::Base64Decode(*in.Str("SAMLAssertion"));
  if (!xml) {
    return Status(ErrorCode::kInvalidIdentityToken,
                  "Invalid SAML response: SAMLAssertion is not base64");
  }
  // The provider's private keys, opened for this call only, decrypt an encrypted assertion.
  crypto::SamlDecryption decryption;
  decryption.required = provider.encryption_mode == "Required";
  std::optional<crypto::SecretString> keys;
  if (!provider.private_keys.empty()) {
    ARCANA_ASSIGN_OR_RETURN(keys, resolver_.OpenEntitySecret(*entity));
    ARCANA_ASSIGN_OR_RETURN(auto decoded, storage::DecodeSamlPrivateKeys(keys->view()));
    for (const auto& [id, pem] : decoded) decryption.private_keys.push_back(pem);
  }
  ARCANA_ASSIGN_OR_RETURN(
      crypto::SamlAssertion assertion,
      crypto::VerifySamlResponse(*xml, metadata->signing_certificates, decryption));
  ARCANA_ASSIGN_OR_RETURN(SamlClaims claims,
                          domain::iam::CheckSamlAssertion(assertion, metadata->entity_id,
                                                          provider.uuid, ctx.now_ms));
  if (!domain::iam::OffersRole(claims, role_arn, provider.Arn())) return SamlNotAuthorized();
  ARCANA_RETURN_IF_ERROR(CheckTokenSessionTags(claims.principal_tags, "the SAML assertion"));
  const std::string name_qualifier =
      crypto::SamlNameQualifier(claims.issuer, provider_account, provider_name);

  // The caller, as the trust policy sees it: the provider, named as a Federated principal.
  Principal saml;
  saml.type = Principal::Type::kWebIdentity;
  saml.account = account;
  saml.arn = provider.Arn();
  saml.principal_arn = saml.arn;
  saml.user_id = name_qualifier + ":" + claims.subject;

  ARCANA_ASSIGN_OR_RETURN(auto found, FindRoleByArn(store_, account, role_name, role_arn));
  if (!found) return SamlNotAuthorized();
  const domain::iam::Identity& role = *found;

  ARCANA_ASSIGN_OR_RETURN(
      Session session,
      FederatedSession(in, saml, role,
                       {provider.Arn(), claims.subject, &claims.principal_tags,
                        &claims.transitive_tag_keys, claims.source_identity}));
  session.session_name = claims.session_name;
  ARCANA_ASSIGN_OR_RETURN(int64_t seconds, SessionSeconds(in, role));
  // The SessionDuration attribute can only shorten the session through the API ("it can be
  // used to shorten the duration", the IAM User Guide).
  if (claims.session_duration_s) seconds = std::min(seconds, *claims.session_duration_s);
  const int64_t packed = PackedPolicySize(session);
  ARCANA_RETURN_IF_ERROR(CheckPackedPolicySize(packed));

  const std::string doc = provider_account + "/" + provider_name;
  const policy::ContextKeys context =
      SamlTrustContext(saml, ctx, claims, doc, name_qualifier, session);
  const bool tagged = !claims.principal_tags.empty();
  if (!FederatedTrustAllows(role, role_arn, account, saml, context, kSamlAction, tagged,
                            session)) {
    return SamlNotAuthorized();
  }

  ARCANA_ASSIGN_OR_RETURN(auto key, resolver_.CreateSession(account, session, ctx.now_ms, seconds));
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  WriteRoleSession(w, key, account, role, session, tagged, packed);
  json::KV(w, "Subject", claims.subject);
  json::KV(w, "SubjectType", claims.subject_type);
  json::KV(w, "Issuer", claims.issuer);
  json::KV(w, "Audience", claims.recipient);
  json::KV(w, "NameQualifier", name_qualifier);
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::services::sts
