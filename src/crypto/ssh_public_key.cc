#include "crypto/ssh_public_key.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <memory>

#include "crypto/base64.h"
#include "crypto/hash.h"

namespace arcana::crypto {

namespace {

// A string of the SSH wire format: a 4-byte big-endian length, then the bytes.
bool ReadString(std::string_view& in, std::string_view* out) {
  if (in.size() < 4) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = (static_cast<size_t>(p[0]) << 24) | (static_cast<size_t>(p[1]) << 16) |
                   (static_cast<size_t>(p[2]) << 8) | p[3];
  if (n > in.size() - 4) return false;
  *out = in.substr(4, n);
  in.remove_prefix(4 + n);
  return true;
}

std::string Md5Fingerprint(std::string_view blob) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(blob.data(), blob.size(), md, &n, EVP_md5(), nullptr) != 1) return {};
  const std::string hex = HexEncode(std::string_view(reinterpret_cast<const char*>(md), n));
  std::string out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    if (i > 0) out.push_back(':');
    out.append(hex, i, 2);
  }
  return out;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey RsaKey(std::string_view e, std::string_view n) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> be(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()),
                nullptr),
      &BN_free);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()),
                nullptr),
      &BN_free);
  if (!be || !bn) return nullptr;
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> bld(OSSL_PARAM_BLD_new(),
                                                                      &OSSL_PARAM_BLD_free);
  if (!bld || OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, be.get()) != 1) {
    return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(bld.get()), &OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr), &EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    return nullptr;
  }
  return Pkey(key);
}

std::string Pem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::optional<SshPublicKey> ParseSshPublicKey(std::string_view text) {
  if (text.size() > kMaxSshPublicKeyText) return std::nullopt;
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.remove_suffix(1);
  }
  const size_t space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  SshPublicKey out;
  out.type = std::string(text.substr(0, space));
  std::string_view b64 = text.substr(space + 1);
  b64 = b64.substr(0, b64.find(' '));  // the comment after it is not part of the key
  auto blob = Base64Decode(b64);
  if (!blob) return std::nullopt;
  std::string_view in(*blob);
  std::string_view type;
  if (!ReadString(in, &type) || type != out.type) return std::nullopt;
  Pkey key;
  if (out.type == "ssh-rsa") {
    std::string_view e, n;
    if (!ReadString(in, &e) || !ReadString(in, &n) || !in.empty() || n.empty()) {
      return std::nullopt;
    }
    key = RsaKey(e, n);
    if (!key) return std::nullopt;
    out.bits = static_cast<size_t>(EVP_PKEY_get_bits(key.get()));
    // A modulus of zero bytes only is no key (OpenSSL builds it, with 0 bits).
    if (out.bits == 0) return std::nullopt;
  } else if (out.type == "ssh-ed25519") {
    std::string_view pub;
    if (!ReadString(in, &pub) || !in.empty() || pub.size() != 32) return std::nullopt;
    key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(pub.data()),
                                          pub.size()));
    if (!key) return std::nullopt;
    out.bits = 256;
  } else {
    return std::nullopt;
  }
  out.fingerprint = Md5Fingerprint(*blob);
  out.body = out.type + " " + std::string(b64);
  out.pem = Pem(key.get());
  if (out.fingerprint.empty() || out.pem.empty()) return std::nullopt;
  return out;
}

}  // namespace arcana::crypto
