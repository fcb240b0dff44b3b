// IAM outbound identity federation's tokens (STS GetWebIdentityToken): the rules of a token
// request, and the JSON of what an issuer publishes and signs - the JWT's header and claims
// (RFC 7519), the issuer's OpenID Connect discovery document and its JWK Set (RFC 7517).
// Signing is crypto/jws.h's and the account's issuer state auth/web_identity_issuer.h's.
// No I/O. Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "crypto/jws.h"

namespace arcana::domain::iam {

// The JWS algorithms an issuer signs with (GetWebIdentityToken's SigningAlgorithm): RSASSA
// PKCS#1 v1.5 with SHA-256 on an RSA 2048 key, ECDSA with SHA-384 on P-384.
inline constexpr const char* kTokenAlgorithms[] = {"RS256", "ES384"};

// The namespace of the claims STS adds of its own (AWS's "https://sts.amazonaws.com/").
inline constexpr const char* kStsClaimsNamespace = "https://sts.amazonaws.com/";

inline constexpr int64_t kDefaultTokenSeconds = 300;

struct TokenRequest {
  std::vector<std::string> audience;  // 1 to 10 (the model's bounds)
  int64_t duration_seconds = kDefaultTokenSeconds;
  std::string algorithm;              // "RS256" | "ES384"
  std::optional<std::string> scope;
  std::string subject_mode = "AWSIdentity";  // | "OriginIdentity"
  std::vector<std::pair<std::string, std::string>> tags;  // request tags, in request order
};

// The request's rules beyond the model's shape (ValidationError in AWS's words): a known
// algorithm; an AWSIdentity subject (Arcana's sessions carry no trusted identity propagation
// context, so OriginIdentity has no subject to take, which AWS refuses as a validation
// error); a Scope only with OriginIdentity (so never here); tag keys once each, case
// insensitively.
Status CheckTokenRequest(const TokenRequest& req);

struct TokenClaims {
  std::string issuer;
  std::vector<std::string> audience;  // one: "aud" is a string; several: an array
  std::string subject;                // the caller's ARN
  int64_t issued_at_s = 0;
  int64_t expires_s = 0;
  std::string token_id;               // "jti"
  std::string account;
  std::string region;                 // the region the token was asked in
  std::string principal_arn;          // principal_id
  std::vector<std::pair<std::string, std::string>> principal_tags;  // the caller's tags
  std::vector<std::pair<std::string, std::string>> request_tags;
};

// The JWS header: {"alg":...,"kid":...,"typ":"JWT"}.
std::string TokenHeaderJson(const std::string& alg, const std::string& kid);
// The claims: iss, aud, sub, iat, exp, jti and, under kStsClaimsNamespace, aws_account,
// source_region, principal_id and (when any) principal_tags and request_tags.
std::string TokenClaimsJson(const TokenClaims& claims);

// One of an issuer's signing keys as published.
struct IssuerKey {
  std::string kid;
  std::string alg;  // one of kTokenAlgorithms
  crypto::JwkPublicKey jwk;
};

// What an unauthenticated GET under an issuer asks for: ACCOUNT/ISSUER_ID/.well-known/DOC
// (the path after the issuers' prefix), DOC "openid-configuration" or "jwks.json".
struct IssuerDocumentPath {
  std::string account;    // 12 digits
  std::string issuer_id;  // non-empty, no '/'
  bool jwks = false;      // the JWK Set; else the discovery document
};
// nullopt for any other path (a caller's bytes: never more than a scan of them).
std::optional<IssuerDocumentPath> ParseIssuerDocumentPath(std::string_view path);

// The JWK Set of `keys`: {"keys":[{"kty","kid","use":"sig","alg", "n","e" | "crv","x","y"}]}.
std::string JwksJson(const std::vector<IssuerKey>& keys);
// The OpenID Connect discovery document of `issuer` (its jwks_uri is
// issuer + "/.well-known/jwks.json").
std::string DiscoveryJson(const std::string& issuer);

}  // namespace arcana::domain::iam
