// The rules AssumeRoleWithSAML applies to a SAML assertion whose signature has verified
// (crypto/saml_xml.h): its issuer, times, recipient and audience, and the attributes AWS reads
// (the IAM User Guide, "Configure SAML assertions for the authentication response"):
//   https://aws.amazon.com/SAML/Attributes/Role             "role-arn,provider-arn" pairs
//   https://aws.amazon.com/SAML/Attributes/RoleSessionName  the session's name (required)
//   https://aws.amazon.com/SAML/Attributes/SessionDuration  seconds, 900 to 43200
//   https://aws.amazon.com/SAML/Attributes/SourceIdentity   the session's source identity
//   https://aws.amazon.com/SAML/Attributes/PrincipalTag:KEY session tags
//   https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys
// Refusals carry AWS's words where users have quoted them (each cited where applied).
// No I/O. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "crypto/saml_xml.h"

namespace arcana::domain::iam {

// What a session made from the assertion takes from it.
struct SamlClaims {
  std::string issuer;
  std::string subject;       // NameID
  std::string subject_type;  // "persistent", "transient" or the NameID Format as given
  std::string recipient;     // the bearer confirmation's Recipient (the answer's Audience)
  std::vector<std::pair<std::string, std::string>> roles;  // (role ARN, provider ARN)
  std::string session_name;
  std::optional<int64_t> session_duration_s;
  std::map<std::string, std::string> principal_tags;
  std::vector<std::string> transitive_tag_keys;
  std::string source_identity;
  bool has_source_identity = false;
  // saml:* condition keys from attributes AWS maps (eduPerson, cn, mail, ...), lower case.
  std::map<std::string, std::vector<std::string>> attribute_keys;
};

// Clock difference allowed between the IdP and Arcana for NotBefore.
inline constexpr int64_t kSamlClockSkewMs = 5 * 60 * 1000;

// The assertion's claims when it was issued by `entity_id` (the provider's metadata), is
// valid at now_ms and is addressed to AWS's sign-in endpoint (https://signin.aws.amazon.com/saml,
// or a Region's https://REGION.signin.aws.amazon.com/saml, either also with /acs/ and the
// provider's `provider_uuid`, the endpoint an IdP encrypting for the provider posts to;
// audience also urn:amazon:webservices).
// Errors: kInvalidIdentityToken (issuer, recipient, audience, session name, attributes),
// kWebIdentityTokenExpired (ExpiredTokenException: expired, or issued over 5 minutes ago),
// kAccessDenied "Not authorized to perform sts:AssumeRoleWithSAML" (no NameID).
Result<SamlClaims> CheckSamlAssertion(const crypto::SamlAssertion& a, const std::string& entity_id,
                                      const std::string& provider_uuid, int64_t now_ms);

// Whether the assertion's Role attribute offers the pair (role_arn, provider_arn) in either
// order, as AWS accepts it.
bool OffersRole(const SamlClaims& c, const std::string& role_arn, const std::string& provider_arn);

}  // namespace arcana::domain::iam
