// Base64 (RFC 4648). The standard form is what the AWS JSON protocol uses for blob
// members (SecretBinary, CiphertextBlob, ...); the URL-safe unpadded form is for opaque
// tokens (NextToken and the like) that end up in URLs or logs.
// Decoding is strict: no whitespace, no characters outside the alphabet, exact padding,
// and the unused low bits of the last character must be zero (so every accepted input
// is the canonical encoding of its output). Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace arcana::crypto {

// Standard alphabet (A-Z a-z 0-9 + /), padded with '=' to a multiple of 4.
std::string Base64Encode(std::string_view raw);
// Inverse of Base64Encode. Empty input decodes to the empty string; nullopt on any
// malformed input (bad character, length not a multiple of 4, bad/misplaced padding,
// non-zero trailing bits).
std::optional<std::string> Base64Decode(std::string_view text);

// URL-safe alphabet (A-Z a-z 0-9 - _), no padding.
std::string Base64UrlEncode(std::string_view raw);
// Inverse of Base64UrlEncode; rejects '=' padding, the standard-alphabet '+' and '/',
// a length of 1 mod 4 and non-zero trailing bits.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace arcana::crypto
