// SHA-256, HMAC-SHA-256, HKDF-SHA-256, hex and constant-time comparison over OpenSSL 3.
// All functions take and return raw bytes in std::string unless the name says Hex.
// Thread-safety: all functions are reentrant.
#pragma once

#include <string>
#include <string_view>

namespace arcana::crypto {

// SHA-256 digest of `data`: 32 raw bytes.
std::string Sha256(std::string_view data);
// SHA-256 digest of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);
// HMAC-SHA-256(key, data): 32 raw bytes.
std::string HmacSha256(std::string_view key, std::string_view data);
// HKDF-SHA-256 (RFC 5869, extract-then-expand): `length` bytes. Returns "" when `length` is
// 0 or above 8160 (255 blocks), which callers treat as an encryption/decryption error.
std::string HkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length);
// Lowercase hex of raw bytes.
std::string HexEncode(std::string_view raw);
// Constant-time equality (CRYPTO_memcmp). Different lengths compare unequal; the length
// itself is not secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace arcana::crypto
