// An OpenID Connect ID token as AssumeRoleWithWebIdentity reads it (a JWT, RFC 7519, in JWS
// compact form, RFC 7515): its header, its claims and the rules IAM applies to them, apart
// from the signature (crypto/jws.h checks that against the issuer's keys). No I/O.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::iam {

struct WebIdentityToken {
  // Header.
  std::string alg;
  std::string kid;  // "" when the header names none
  // What the signature covers ("header.payload" as sent) and the signature, decoded.
  std::string signing_input;
  std::string signature;
  // Claims.
  std::string issuer;                  // iss, as sent ("https://host/path")
  std::string subject;                 // sub
  std::vector<std::string> audiences;  // aud (a string or an array of strings)
  std::string authorized_party;        // azp
  std::string email;
  std::vector<std::string> amr;
  std::optional<int64_t> expires_s;    // exp
  std::optional<int64_t> not_before_s; // nbf
  std::optional<int64_t> issued_at_s;  // iat
  // Session tags AWS takes from the "https://aws.amazon.com/tags" claim
  // ({"principal_tags": {"K": ["V"]}, "transitive_tag_keys": ["K"]}).
  std::map<std::string, std::string> principal_tags;
  std::vector<std::string> transitive_tag_keys;
  // The "https://aws.amazon.com/source_identity" claim: the session's source identity, as
  // AWS takes it ("" when absent).
  std::string source_identity;
  // The claim is present, whatever its value: a present claim that is no usable string (a
  // number, an array, "") is the token's fault, not an absent claim - dropping it would skip
  // the sts:SetSourceIdentity trust check.
  bool has_source_identity = false;
};

// The token's parts; kInvalidIdentityToken in AWS's words when it is no JWS-compact JWT
// with a JSON header and claims, or iss or sub is missing. At most 20,000 characters
// (WebIdentityToken's model limit; the validator has checked it before).
Result<WebIdentityToken> ParseWebIdentityToken(std::string_view token);

// The provider's name for an issuer: "https://host/path" -> "host/path" (IAM keeps provider
// URLs without the scheme); "" when the issuer is not an https URL.
std::string OidcProviderUrlOf(std::string_view issuer);

// The token's validity at now_s (seconds since the epoch): kWebIdentityTokenExpired in AWS's
// words once exp has passed (no grace: AWS's message compares the two times as they are),
// kInvalidIdentityToken when it has no exp or is not valid yet (nbf or iat later than now_s
// by more than `skew_s`, the clock difference allowed between the issuer and Arcana).
Status CheckTokenTimes(const WebIdentityToken& t, int64_t now_s, int64_t skew_s = 0);

}  // namespace arcana::domain::iam
