// JSON Web Signature verification (RFC 7515) with a public key given as a JSON Web Key
// (RFC 7517/7518): what AssumeRoleWithWebIdentity needs to check an OpenID Connect ID token
// against its issuer's published keys; and signing, with the JWK of the signing key's public
// half, for the tokens Arcana issues itself (STS GetWebIdentityToken). Only the asymmetric algorithms an issuer signs ID
// tokens with: RS256/384/512 (RSASSA-PKCS1-v1_5), PS256/384/512 (RSASSA-PSS) and
// ES256/384/512 (ECDSA on P-256/P-384/P-521, the signature as the fixed-length r || s of
// RFC 7518 section 3.4). "none" and the HMAC algorithms are refused: a token an issuer can
// verify with a shared secret proves nothing to a third party.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::crypto {

// The members of a JWK that a verifier needs, base64url-decoded where RFC 7518 encodes them.
struct JwkPublicKey {
  std::string kty;  // "RSA" | "EC"
  std::string n, e;       // RSA modulus and exponent, big-endian bytes
  std::string crv;        // EC: "P-256" | "P-384" | "P-521"
  std::string x, y;       // EC point coordinates, big-endian bytes
};

// True when `alg` names an algorithm VerifyJws accepts.
bool IsSupportedJwsAlgorithm(std::string_view alg);

// Ok(true) when `signature` is a valid JWS signature of `signing_input` (the token's
// "header.payload" text) under `key` for `alg`; Ok(false) when it is not, or when the key
// does not fit the algorithm (an RSA key for ES256, a P-384 key for ES256, an RSA modulus
// under 2048 bits). kValidation for an unsupported algorithm or a key that does not load.
Result<bool> VerifyJws(std::string_view alg, const JwkPublicKey& key,
                       std::string_view signing_input, std::string_view signature);

// The JWS signature of `signing_input` ("header.payload") under a PKCS#8 DER private key:
// RS256 (RSASSA-PKCS1-v1_5, SHA-256; an RSA key) or ES384 (ECDSA on P-384, SHA-384, as the
// 96-byte r || s of RFC 7518 section 3.4). kValidation for another algorithm or a key that
// does not fit it; kInternalFailure when the key does not load. Errors name no key material.
Result<std::string> SignJws(std::string_view alg, std::string_view pkcs8_der,
                            std::string_view signing_input);

// The public half of a PKCS#8 DER private key (RSA, or EC on P-256/P-384/P-521) as a JWK's
// members; kInternalFailure when it does not load, kValidation for another kind of key.
Result<JwkPublicKey> PublicJwkOf(std::string_view pkcs8_der);

}  // namespace arcana::crypto
