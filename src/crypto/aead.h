// AES-256-GCM authenticated encryption, the only symmetric cipher Arcana uses for data
// at rest (secret values under data keys, data keys under the master key).
//
// Sealed byte format (AeadSeal output, AeadOpen input), no version byte or header:
//
//   offset 0            12                       12+N                 12+N+16
//          +------------+------------------------+---------------------+
//          | nonce (12) | ciphertext (N bytes)   | GCM tag (16)        |
//          +------------+------------------------+---------------------+
//
//   - nonce: 12 bytes from RAND_bytes, fresh per seal (random nonces are safe for well
//     under 2^32 seals per key);
//   - ciphertext: same length N as the plaintext (GCM is a stream mode);
//   - tag: 16-byte (128-bit) GCM authentication tag over the AAD and the ciphertext.
//   Total size = plaintext size + 28 (kAeadOverhead). The AAD is not stored: the caller
//   must supply the same AAD to open (typically a stable identifier binding the blob to
//   its owner, e.g. "secret-arn|version-id").
//
// Errors are values and never contain plaintext or key material: AeadSeal returns
// ErrorCode::kEncryptionFailure, AeadOpen returns ErrorCode::kDecryptionFailure for a
// bad key size, truncated input, wrong key, wrong AAD or any tampering.
// Thread-safety: all functions are reentrant.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::crypto {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;
inline constexpr size_t kAeadOverhead = kAeadNonceSize + kAeadTagSize;

// Encrypts `plaintext` under the 32-byte `key32`, authenticating `aad` too.
// Returns nonce || ciphertext || tag.
Result<std::string> AeadSeal(std::string_view key32, std::string_view plaintext,
                             std::string_view aad);
// Inverse of AeadSeal. Fails (kDecryptionFailure) unless key, AAD and every byte of
// `sealed` are exactly those used to seal.
Result<std::string> AeadOpen(std::string_view key32, std::string_view sealed,
                             std::string_view aad);

// Overwrites the string's bytes (OPENSSL_cleanse, not optimized away), then clears it.
void SecureWipe(std::string& s);

}  // namespace arcana::crypto
