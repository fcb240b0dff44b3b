#include "crypto/shamir.h"

#include <set>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::crypto {

namespace gf256 {

uint8_t Add(uint8_t a, uint8_t b) { return a ^ b; }

// Carry-less "Russian peasant" multiplication reduced by 0x11b; every step runs whatever
// the operands are (masks instead of branches).
uint8_t Mul(uint8_t a, uint8_t b) {
  uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    p ^= static_cast<uint8_t>(-(b & 1) & a);
    uint8_t hi = static_cast<uint8_t>(-(a >> 7));
    a = static_cast<uint8_t>((a << 1) ^ (hi & 0x1b));
    b >>= 1;
  }
  return p;
}

// a^254 = a^-1 in GF(2^8)* (and 0 for 0), by a fixed square-and-multiply chain.
uint8_t Inv(uint8_t a) {
  uint8_t a2 = Mul(a, a);        // a^2
  uint8_t a3 = Mul(a2, a);       // a^3
  uint8_t a6 = Mul(a3, a3);      // a^6
  uint8_t a12 = Mul(a6, a6);     // a^12
  uint8_t a15 = Mul(a12, a3);    // a^15
  uint8_t a30 = Mul(a15, a15);   // a^30
  uint8_t a60 = Mul(a30, a30);   // a^60
  uint8_t a120 = Mul(a60, a60);  // a^120
  uint8_t a126 = Mul(a120, a6);  // a^126
  uint8_t a127 = Mul(a126, a);   // a^127
  return Mul(a127, a127);        // a^254
}

uint8_t Div(uint8_t a, uint8_t b) { return Mul(a, Inv(b)); }

}  // namespace gf256

namespace {

constexpr std::string_view kSharePrefix = "arcs1-";

// Horner evaluation of coeffs[0] + coeffs[1] x + ... at x.
uint8_t Eval(const std::vector<uint8_t>& coeffs, uint8_t x) {
  uint8_t y = 0;
  for (size_t i = coeffs.size(); i-- > 0;) y = gf256::Add(gf256::Mul(y, x), coeffs[i]);
  return y;
}

}  // namespace

Result<std::vector<Share>> ShamirSplit(std::string_view secret, int shares, int threshold) {
  if (secret.empty() || secret.size() > 1024) {
    return Status(ErrorCode::kInvalidParameter, "secret must be 1..1024 bytes");
  }
  if (shares < 1 || shares > 255 || threshold < 1 || threshold > shares) {
    return Status(ErrorCode::kInvalidParameter,
                  "need 1 <= threshold <= shares <= 255");
  }
  if (threshold == 1 && shares != 1) {
    return Status(ErrorCode::kInvalidParameter,
                  "threshold 1 would make every share the secret itself; use threshold >= 2");
  }
  std::vector<Share> out(shares);
  for (int i = 0; i < shares; ++i) {
    out[i].index = static_cast<uint8_t>(i + 1);
    out[i].y.resize(secret.size());
  }
  std::vector<uint8_t> coeffs(threshold);
  for (size_t b = 0; b < secret.size(); ++b) {
    coeffs[0] = static_cast<uint8_t>(secret[b]);
    std::string rnd = RandomBytes(threshold - 1);
    for (int k = 1; k < threshold; ++k) coeffs[k] = static_cast<uint8_t>(rnd[k - 1]);
    SecureWipe(rnd);
    for (auto& s : out) s.y[b] = static_cast<char>(Eval(coeffs, s.index));
  }
  for (auto& c : coeffs) c = 0;
  return out;
}

Result<std::string> ShamirCombine(const std::vector<Share>& shares) {
  if (shares.empty()) return Status(ErrorCode::kInvalidParameter, "no shares given");
  const size_t len = shares[0].y.size();
  std::set<uint8_t> seen;
  for (const auto& s : shares) {
    if (s.index == 0) return Status(ErrorCode::kInvalidParameter, "share index 0 is invalid");
    if (s.y.size() != len || len == 0) {
      return Status(ErrorCode::kInvalidParameter, "shares have different lengths");
    }
    if (!seen.insert(s.index).second) {
      return Status(ErrorCode::kInvalidParameter, "the same share was given twice");
    }
  }
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); the x are public.
  std::vector<uint8_t> basis(shares.size());
  for (size_t i = 0; i < shares.size(); ++i) {
    uint8_t num = 1, den = 1;
    for (size_t j = 0; j < shares.size(); ++j) {
      if (i == j) continue;
      num = gf256::Mul(num, shares[j].index);
      den = gf256::Mul(den, gf256::Add(shares[j].index, shares[i].index));
    }
    basis[i] = gf256::Div(num, den);
  }
  std::string secret(len, '\0');
  for (size_t b = 0; b < len; ++b) {
    uint8_t acc = 0;
    for (size_t i = 0; i < shares.size(); ++i) {
      acc = gf256::Add(acc, gf256::Mul(static_cast<uint8_t>(shares[i].y[b]), basis[i]));
    }
    secret[b] = static_cast<char>(acc);
  }
  return secret;
}

std::string EncodeShare(const Share& s) {
  std::string raw;
  raw.push_back(static_cast<char>(s.index));
  raw += s.y;
  raw += Sha256(raw).substr(0, 4);
  std::string out = std::string(kSharePrefix) + Base64UrlEncode(raw);
  SecureWipe(raw);
  return out;
}

Result<Share> DecodeShare(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  const Status malformed(ErrorCode::kInvalidParameter,
                         "malformed share (expected the arcs1-... text printed by operator init)");
  if (text.substr(0, kSharePrefix.size()) != kSharePrefix) return malformed;
  text.remove_prefix(kSharePrefix.size());
  auto raw = Base64UrlDecode(text);
  if (!raw || raw->size() < 1 + 1 + 4) return malformed;
  std::string_view body(raw->data(), raw->size() - 4);
  if (!ConstantTimeEquals(Sha256(body).substr(0, 4), raw->substr(raw->size() - 4))) {
    SecureWipe(*raw);
    return Status(ErrorCode::kInvalidParameter,
                  "share checksum mismatch: the share was mistyped or truncated");
  }
  Share s;
  s.index = static_cast<uint8_t>((*raw)[0]);
  s.y.assign(body.substr(1));
  SecureWipe(*raw);
  if (s.index == 0) return malformed;
  return s;
}

}  // namespace arcana::crypto
