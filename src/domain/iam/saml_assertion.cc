#include "domain/iam/saml_assertion.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <string_view>

namespace arcana::domain::iam {
namespace {

constexpr std::string_view kAttr = "https://aws.amazon.com/SAML/Attributes/";
constexpr std::string_view kNameIdPrefix = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
constexpr int64_t kRedeemWithinMs = 5 * 60 * 1000;

Status Invalid(const std::string& why) { return Status(ErrorCode::kInvalidIdentityToken, why); }

// [a-zA-Z_0-9+=,.@-]{2,64}: what AWS requires of RoleSessionName and SourceIdentity here.
bool SessionNameLike(std::string_view s) {
  if (s.size() < 2 || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '+' || c == '=' || c == ',' || c == '.' ||
           c == '@' || c == '-';
  });
}

// Sign-in endpoints AWS accepts as Recipient: the global one and each Region's, also with
// "/acs/PROVIDER_UUID" (the provider's own assertion consumer service).
bool IsAwsSignIn(std::string_view url, std::string_view provider_uuid = {}) {
  if (!provider_uuid.empty()) {
    const std::string acs = "/acs/" + std::string(provider_uuid);
    if (url.ends_with(acs)) url.remove_suffix(acs.size());
  }
  constexpr std::string_view kGlobal = "https://signin.aws.amazon.com/saml";
  if (url == kGlobal) return true;
  constexpr std::string_view kScheme = "https://";
  constexpr std::string_view kSuffix = ".signin.aws.amazon.com/saml";
  if (!url.starts_with(kScheme) || !url.ends_with(kSuffix)) return false;
  const std::string_view region =
      url.substr(kScheme.size(), url.size() - kScheme.size() - kSuffix.size());
  return !region.empty() && std::all_of(region.begin(), region.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-';
  });
}

// The attributes AWS maps to saml:* condition keys (the IAM User Guide's "Available keys for
// SAML-based AWS STS federation"), by their OIDs.
struct MappedAttribute {
  std::string_view oid;
  std::string_view key;
};
constexpr std::array<MappedAttribute, 22> kMapped = {{
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "saml:edupersonaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.2", "saml:edupersonnickname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.3", "saml:edupersonorgdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.4", "saml:edupersonorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.5", "saml:edupersonprimaryaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6", "saml:edupersonprincipalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.7", "saml:edupersonentitlement"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.8", "saml:edupersonprimaryorgunitdn"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.9", "saml:edupersonscopedaffiliation"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.10", "saml:edupersontargetedid"},
    {"urn:oid:1.3.6.1.4.1.5923.1.1.1.11", "saml:edupersonassurance"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.2", "saml:eduorghomepageuri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.3", "saml:eduorgidentityauthnpolicyuri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.4", "saml:eduorglegalname"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.5", "saml:eduorgsuperioruri"},
    {"urn:oid:1.3.6.1.4.1.5923.1.2.1.6", "saml:eduorgwhitepagesuri"},
    {"urn:oid:2.5.4.3", "saml:cn"},
    {"urn:oid:2.5.4.41", "saml:name"},
    {"urn:oid:2.5.4.42", "saml:givenname"},
    {"urn:oid:2.5.4.4", "saml:surname"},
    {"urn:oid:0.9.2342.19200300.100.1.3", "saml:mail"},
    {"urn:oid:0.9.2342.19200300.100.1.1", "saml:uid"},
}};

// The value of a single-valued attribute ("" when it has none).
std::string Single(const crypto::SamlAttribute& a) {
  return a.values.empty() ? std::string() : a.values.front();
}

std::string Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

// The Role attribute's values: "role-arn,provider-arn" (either order; spaces around the comma
// are trimmed). A value that is not two ARNs is skipped, as AWS offers only valid pairs.
void ReadRoles(const crypto::SamlAttribute& a, SamlClaims* c) {
  for (const auto& v : a.values) {
    const size_t comma = v.find(',');
    if (comma == std::string::npos) continue;
    std::string first = Trim(std::string_view(v).substr(0, comma));
    std::string second = Trim(std::string_view(v).substr(comma + 1));
    if (first.find(":saml-provider/") != std::string::npos) std::swap(first, second);
    if (first.find(":role/") == std::string::npos ||
        second.find(":saml-provider/") == std::string::npos) {
      continue;
    }
    c->roles.emplace_back(std::move(first), std::move(second));
  }
}

// The checks of the assertion's time and addressing.
Status CheckWindow(const crypto::SamlAssertion& a, std::string_view provider_uuid, int64_t now_ms,
                   SamlClaims* c) {
  // "Response has expired" and "Token must be redeemed within 5 minutes of issuance": AWS's
  // ExpiredTokenException texts as users quote them (Versent/saml2aws#759,
  // Nike-Inc/gimme-aws-creds#251).
  const Status expired(ErrorCode::kWebIdentityTokenExpired, "Response has expired");
  if (a.not_on_or_after_ms && now_ms >= *a.not_on_or_after_ms) return expired;
  if (a.not_before_ms && now_ms + kSamlClockSkewMs < *a.not_before_ms) {
    return Invalid("Invalid SAML response: it is not valid yet (Conditions NotBefore)");
  }
  if (a.issue_instant_ms && now_ms - *a.issue_instant_ms > kRedeemWithinMs) {
    return Status(ErrorCode::kWebIdentityTokenExpired,
                  "Token must be redeemed within 5 minutes of issuance");
  }
  // A bearer confirmation addressed to AWS's sign-in endpoint, with NotOnOrAfter (the IAM
  // User Guide: SubjectConfirmationData "must contain a NotOnOrAfter ... and a Recipient").
  bool seen_expired = false;
  for (const auto& sc : a.confirmations) {
    if (sc.method != "urn:oasis:names:tc:SAML:2.0:cm:bearer" ||
        !IsAwsSignIn(sc.recipient, provider_uuid) ||
        !sc.not_on_or_after_ms) {
      continue;
    }
    if (now_ms >= *sc.not_on_or_after_ms) {
      seen_expired = true;
      continue;
    }
    if (sc.not_before_ms && now_ms + kSamlClockSkewMs < *sc.not_before_ms) continue;
    c->recipient = sc.recipient;
    break;
  }
  if (c->recipient.empty()) {
    if (seen_expired) return expired;
    return Invalid(
        "Invalid SAML response: it has no bearer SubjectConfirmation with a NotOnOrAfter whose "
        "Recipient is https://signin.aws.amazon.com/saml");
  }
  const bool for_aws = std::any_of(a.audiences.begin(), a.audiences.end(), [](const auto& aud) {
    return IsAwsSignIn(aud) || aud == "urn:amazon:webservices";
  });
  if (!for_aws) {
    return Invalid(
        "Invalid SAML response: its audience is not https://signin.aws.amazon.com/saml or "
        "urn:amazon:webservices");
  }
  return Status::Ok();
}

}  // namespace

Result<SamlClaims> CheckSamlAssertion(const crypto::SamlAssertion& a, const std::string& entity_id,
                                      const std::string& provider_uuid, int64_t now_ms) {
  SamlClaims c;
  // AWS's text (InvalidIdentityToken, quoted in dbeaver/cloudbeaver#3112 and the IAM User
  // Guide's troubleshooting page).
  if (a.issuer.empty() || a.issuer != entity_id) {
    return Invalid("Issuer not present in specified provider");
  }
  if (!a.status.empty() && a.status != "urn:oasis:names:tc:SAML:2.0:status:Success") {
    return Invalid("Invalid SAML response: its status is not Success");
  }
  ARCANA_RETURN_IF_ERROR(CheckWindow(a, provider_uuid, now_ms, &c));
  // The troubleshooting page: no Subject with a NameID is "Not authorized to perform
  // sts:AssumeRoleWithSAML".
  if (a.name_id.empty()) {
    return Status(ErrorCode::kAccessDenied, "Not authorized to perform sts:AssumeRoleWithSAML");
  }
  c.issuer = a.issuer;
  c.subject = a.name_id;
  // The API reference: the Format without urn:oasis:names:tc:SAML:2.0:nameid-format:, any
  // other format as given.
  c.subject_type = a.name_id_format.starts_with(kNameIdPrefix)
                       ? a.name_id_format.substr(kNameIdPrefix.size())
                       : a.name_id_format;

  bool has_session_name = false;
  for (const auto& attr : a.attributes) {
    if (!attr.name.starts_with(kAttr)) {
      for (const auto& m : kMapped) {
        if (attr.name == m.oid) {
          auto& values = c.attribute_keys[std::string(m.key)];
          values.insert(values.end(), attr.values.begin(), attr.values.end());
        }
      }
      continue;
    }
    const std::string_view name = std::string_view(attr.name).substr(kAttr.size());
    if (name == "Role") {
      ReadRoles(attr, &c);
    } else if (name == "RoleSessionName") {
      has_session_name = true;
      c.session_name = Single(attr);
    } else if (name == "SessionDuration") {
      const std::string v = Single(attr);
      int64_t seconds = 0;
      auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
      if (ec != std::errc() || end != v.data() + v.size() || seconds < 900 || seconds > 43200) {
        return Invalid("SessionDuration in AuthnResponse must be a number of seconds from 900 "
                       "to 43200");
      }
      c.session_duration_s = seconds;
    } else if (name == "SourceIdentity") {
      c.has_source_identity = true;
      c.source_identity = Single(attr);
    } else if (name.starts_with("PrincipalTag:")) {
      c.principal_tags[std::string(name.substr(13))] = Single(attr);
    } else if (name == "TransitiveTagKeys") {
      for (const auto& k : attr.values) c.transitive_tag_keys.push_back(k);
    }
  }
  // AWS's texts (the IAM User Guide's troubleshooting page; MicrosoftDocs/azure-docs#45025).
  if (!has_session_name || c.session_name.empty()) {
    return Invalid("RoleSessionName is required in AuthnResponse");
  }
  if (!SessionNameLike(c.session_name)) {
    return Invalid("RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}");
  }
  if (c.has_source_identity && !SessionNameLike(c.source_identity)) {
    return Invalid(
        "Source Identity must match [a-zA-Z_0-9+=,.@-]{2,64} and not begin with \"aws:\"");
  }
  return c;
}

bool OffersRole(const SamlClaims& c, const std::string& role_arn,
                const std::string& provider_arn) {
  return std::any_of(c.roles.begin(), c.roles.end(), [&](const auto& pair) {
    return pair.first == role_arn && pair.second == provider_arn;
  });
}

}  // namespace arcana::domain::iam
