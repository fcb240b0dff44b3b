#include "crypto/totp.h"

#include <openssl/crypto.h>

#include "crypto/asymmetric.h"

namespace arcana::crypto {

std::string TotpCode(std::string_view seed, int64_t step) {
  // RFC 4226 section 5: HMAC-SHA-1 of the 8-byte big-endian counter, then the dynamic
  // truncation of the digest to 31 bits, modulo 10^digits.
  char counter[8];
  auto c = static_cast<uint64_t>(step);
  for (int i = 7; i >= 0; --i) {
    counter[i] = static_cast<char>(c & 0xFF);
    c >>= 8;
  }
  auto mac = Hmac(HashAlg::kSha1, seed, std::string_view(counter, sizeof(counter)));
  if (!mac.ok() || mac->size() != 20) return std::string(kTotpDigits, 'x');  // matches no code
  const auto* d = reinterpret_cast<const unsigned char*>(mac->data());
  const int offset = d[19] & 0x0F;
  const uint32_t bits = (static_cast<uint32_t>(d[offset] & 0x7F) << 24) |
                        (static_cast<uint32_t>(d[offset + 1]) << 16) |
                        (static_cast<uint32_t>(d[offset + 2]) << 8) |
                        static_cast<uint32_t>(d[offset + 3]);
  uint32_t value = bits % 1000000u;
  std::string out(kTotpDigits, '0');
  for (size_t i = kTotpDigits; i-- > 0;) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return out;
}

std::optional<int64_t> FindTotpStep(std::string_view seed, std::string_view code, int64_t first,
                                    int64_t last) {
  if (code.size() != kTotpDigits) return std::nullopt;
  for (char ch : code) {
    if (ch < '0' || ch > '9') return std::nullopt;
  }
  for (int64_t step = last; step >= first; --step) {
    const std::string expected = TotpCode(seed, step);
    if (CRYPTO_memcmp(expected.data(), code.data(), kTotpDigits) == 0) return step;
  }
  return std::nullopt;
}

std::string Base32Encode(std::string_view raw) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve((raw.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char byte : raw) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 0x1F]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 0x1F]);
  return out;
}

}  // namespace arcana::crypto
