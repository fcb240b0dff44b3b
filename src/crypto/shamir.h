// Shamir's secret sharing over GF(2^8) (the field of AES, polynomial x^8+x^4+x^3+x+1), as
// Vault uses it to split its root key: each byte of the secret is the constant term of its
// own random polynomial of degree threshold-1; share i holds the polynomials evaluated at
// x = index_i (1..255). Any `threshold` shares give the secret back by Lagrange
// interpolation at x = 0; fewer are consistent with every possible secret.
//
// The field arithmetic is branch-free on secret data (no table lookups indexed by secret
// bytes), so timing does not reveal share or secret bytes.
//
// Text form of a share (what operators copy): "arcs1-" + base64url(no padding) of
//   u8 index | secret-length bytes y | 4-byte checksum (first 4 bytes of SHA-256 of the rest)
// The checksum catches typos and truncation at input; it says nothing about the secret
// (shares are uniformly random). A well-formed share of another split is caught later, by the
// root key's verification value (see seal/).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::crypto {

namespace gf256 {
uint8_t Add(uint8_t a, uint8_t b);  // = Sub: XOR
uint8_t Mul(uint8_t a, uint8_t b);
uint8_t Inv(uint8_t a);             // a^254; Inv(0) = 0
uint8_t Div(uint8_t a, uint8_t b);  // a * Inv(b)
}  // namespace gf256

struct Share {
  uint8_t index = 0;  // x coordinate, 1..255
  std::string y;      // one byte per secret byte
};

// Splits secret (1..1024 bytes) into `shares` shares, any `threshold` of which rebuild it.
// 2 <= threshold <= shares <= 255 (threshold 1 is allowed only with shares 1: a copy).
// Errors: kInvalidParameter.
Result<std::vector<Share>> ShamirSplit(std::string_view secret, int shares, int threshold);

// Interpolates at 0. Needs >= 1 share, distinct non-zero indexes, equal lengths; with fewer
// than the threshold it returns a value unrelated to the secret (the caller's verification
// value is what tells). Errors: kInvalidParameter.
Result<std::string> ShamirCombine(const std::vector<Share>& shares);

std::string EncodeShare(const Share& s);
// Errors: kInvalidParameter ("malformed share", "share checksum mismatch").
Result<Share> DecodeShare(std::string_view text);

}  // namespace arcana::crypto
