#include "crypto/password_hash.h"

#include <openssl/evp.h>

#include <cstdint>
#include <vector>

#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::crypto {

namespace {

// N = 2^14, r = 8, p = 1: 16 MiB and some tens of ms per hash (RFC 7914's interactive-login
// parameters); a login profile is written and checked rarely.
constexpr uint64_t kN = 1u << 14;
constexpr uint64_t kR = 8;
constexpr uint64_t kP = 1;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;
constexpr uint64_t kMaxMem = 64ull << 20;

Result<std::string> Scrypt(std::string_view password, std::string_view salt, uint64_t n, uint64_t r,
                           uint64_t p) {
  std::string out(kHashBytes, '\0');
  if (EVP_PBE_scrypt(password.data(), password.size(),
                     reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), n, r, p,
                     kMaxMem, reinterpret_cast<unsigned char*>(out.data()), out.size()) != 1) {
    return Status(ErrorCode::kInternalServiceError, "scrypt failed");
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool ParseUint(std::string_view s, uint64_t* out) {
  if (s.empty() || s.size() > 12) return false;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

}  // namespace

Result<std::string> HashPassword(std::string_view password) {
  const std::string salt = RandomBytes(kSaltBytes);
  ARCANA_ASSIGN_OR_RETURN(std::string hash, Scrypt(password, salt, kN, kR, kP));
  return "scrypt$" + std::to_string(kN) + "$" + std::to_string(kR) + "$" + std::to_string(kP) +
         "$" + Base64Encode(salt) + "$" + Base64Encode(hash);
}

bool VerifyPassword(std::string_view password, std::string_view stored) {
  const auto parts = Split(stored, '$');
  if (parts.size() != 6 || parts[0] != "scrypt") return false;
  uint64_t n = 0, r = 0, p = 0;
  // Parameters bounded as written by HashPassword at most: a stored form is the store's, but
  // an edited row must not make a check cost gigabytes.
  if (!ParseUint(parts[1], &n) || !ParseUint(parts[2], &r) || !ParseUint(parts[3], &p) ||
      n < 2 || n > (1u << 20) || r == 0 || r > 32 || p == 0 || p > 16) {
    return false;
  }
  auto salt = Base64Decode(parts[4]);
  auto expected = Base64Decode(parts[5]);
  if (!salt || !expected || expected->size() != kHashBytes) return false;
  auto hash = Scrypt(password, *salt, n, r, p);
  return hash.ok() && ConstantTimeEquals(*hash, *expected);
}

}  // namespace arcana::crypto
