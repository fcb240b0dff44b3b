// Ed25519 signatures (RFC 8032) over OpenSSL 3, from a 32-byte seed. The audit trail's
// digests are signed with a key derived from the root of trust (audit/digest_signer.h); the
// seed is the private key, so callers keep it no longer than one signature.
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

}  // namespace arcana::crypto
