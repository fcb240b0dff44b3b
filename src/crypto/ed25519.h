// Ed25519 signatures (RFC 8032) over OpenSSL 3, from a 32-byte seed. The audit trail's
// digests are signed with a key derived from the root of trust (audit/digest_signer.h); the
// seed is the private key, so callers keep it no longer than one signature. KMS keys of spec
// ECC_NIST_EDWARDS25519 sign with Ed25519 too (crypto/asymmetric.h), and with Ed25519ph,
// which OpenSSL 3.0 lacks: it is built here from libsodium's group and scalar operations.
// Keys and signatures are raw bytes: a public key is 32 bytes, a signature 64.
// Errors never contain key material. Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::crypto {

inline constexpr size_t kEd25519SeedSize = 32;
inline constexpr size_t kEd25519SignatureSize = 64;

// The public key of seed32. Errors: kInternalFailure (wrong seed size, OpenSSL failure).
Result<std::string> Ed25519PublicKey(std::string_view seed32);
// The signature of message by seed32. Errors: kInternalFailure.
Result<std::string> Ed25519Sign(std::string_view seed32, std::string_view message);
// true only for a valid signature of message by public32; malformed inputs are false.
bool Ed25519Verify(std::string_view public32, std::string_view message,
                   std::string_view signature);

// Ed25519ph (RFC 8032 section 5.1: pre-hashed, an empty context) given the message's SHA-512
// digest, which is PH(M) itself (not hashed again): a signature of SHA-512(M) is RFC 8032's
// Ed25519ph signature of M. What KMS's ED25519_PH_SHA_512 signs (MessageType DIGEST).
// Errors: kInternalFailure (a seed not 32 bytes, a digest not 64, libsodium failing).
Result<std::string> Ed25519phSignDigest(std::string_view seed32, std::string_view digest64);
// true only for a valid Ed25519ph signature of the digest by public32 (S below the group
// order, A a point of the prime-order subgroup, [S]B = R + [k]A); malformed inputs are false.
bool Ed25519phVerifyDigest(std::string_view public32, std::string_view digest64,
                           std::string_view signature);

}  // namespace arcana::crypto
