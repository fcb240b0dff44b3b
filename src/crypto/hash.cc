#include "crypto/hash.h"

// The low-level SHA256_* API is deprecated in OpenSSL 3 but kept; see Sha256() below.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace arcana::crypto {

// SHA-256 and HMAC-SHA256 sit on the request hot path (SigV4 hashes the body and the
// canonical request and HMACs the string to sign). The low-level SHA256_Init/Update/Final
// skip the provider dispatch and context allocation of EVP (about 5x fewer instructions for
// the small inputs SigV4 hashes), and HMAC is the RFC 2104 construction over them. Not the
// one-shot ::SHA256(): in OpenSSL 3 it is EVP_Q_digest, which fetches the digest from the
// provider on every call (about 8k instructions for a short input).
namespace {
void Sha256Into(std::string_view data, unsigned char out[32]) {
  SHA256_CTX c;
  SHA256_Init(&c);
  SHA256_Update(&c, data.data(), data.size());
  SHA256_Final(out, &c);
  OPENSSL_cleanse(&c, sizeof(c));
}
}  // namespace

std::string Sha256(std::string_view data) {
  std::string out(32, '\0');
  Sha256Into(data, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string Sha256Hex(std::string_view data) { return HexEncode(Sha256(data)); }

std::string HmacSha256(std::string_view key, std::string_view data) {
  constexpr size_t kBlock = 64;
  unsigned char k0[kBlock] = {};
  if (key.size() > kBlock) {
    Sha256Into(key, k0);
  } else if (!key.empty()) {
    std::memcpy(k0, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  unsigned char inner[32];
  SHA256_CTX c;
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x36;
  SHA256_Init(&c);
  SHA256_Update(&c, pad, kBlock);
  SHA256_Update(&c, data.data(), data.size());
  SHA256_Final(inner, &c);
  for (size_t i = 0; i < kBlock; ++i) pad[i] = k0[i] ^ 0x5c;
  std::string out(32, '\0');
  SHA256_Init(&c);
  SHA256_Update(&c, pad, kBlock);
  SHA256_Update(&c, inner, sizeof(inner));
  SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &c);
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(inner, sizeof(inner));
  OPENSSL_cleanse(pad, sizeof(pad));
  OPENSSL_cleanse(&c, sizeof(c));
  return out;
}

std::string HkdfSha256(std::string_view ikm, std::string_view salt, std::string_view info,
                       size_t length) {
  // RFC 5869 over HmacSha256 above rather than OpenSSL's HKDF: that one fetches HMAC through
  // the provider (EVP_Q_mac) for every block and parses its parameters on each call, about 8x
  // the instructions, and KMS derives a key per message (every Encrypt, Decrypt and sealed
  // secret value). An empty salt needs no special case: HMAC pads its key with zeros to the
  // block size, so it equals the RFC's default of HashLen zero bytes.
  constexpr size_t kHashLen = 32;
  if (length == 0 || length > 255 * kHashLen) return {};
  std::string prk = HmacSha256(salt, ikm);  // extract
  std::string out;
  out.reserve(length);
  std::string t;      // T(i-1), then T(i)
  std::string block;  // T(i-1) | info | i
  for (unsigned i = 1; out.size() < length; ++i) {
    block.assign(t).append(info).push_back(static_cast<char>(i));
    OPENSSL_cleanse(t.data(), t.size());
    t = HmacSha256(prk, block);
    out.append(t, 0, std::min(kHashLen, length - out.size()));
  }
  OPENSSL_cleanse(prk.data(), prk.size());
  OPENSSL_cleanse(t.data(), t.size());
  OPENSSL_cleanse(block.data(), block.size());
  return out;
}

std::string HexEncode(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.resize(raw.size() * 2);
  for (size_t i = 0; i < raw.size(); ++i) {
    const auto b = static_cast<unsigned char>(raw[i]);
    out[2 * i] = kDigits[b >> 4];
    out[2 * i + 1] = kDigits[b & 0x0f];
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace arcana::crypto
