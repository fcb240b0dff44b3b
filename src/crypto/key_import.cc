#include "crypto/key_import.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <memory>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace arcana::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

Status Fail(ErrorCode code, std::string what) {
  ERR_clear_error();
  return Status(code, std::move(what));
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

Result<std::string> Kwp(std::string_view kek, std::string_view in, bool wrap) {
  const ErrorCode err = wrap ? ErrorCode::kEncryptionFailure : ErrorCode::kDecryptionFailure;
  if (kek.size() != 32) return Fail(err, "AES key wrap needs a 256-bit key");
  // RFC 5649 output is at most 8 bytes longer (wrap); EVP needs room for one block more.
  if (in.empty() || in.size() > (1u << 20)) return Fail(err, "AES key wrap input size");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return Fail(err, "AES key wrap set-up failed");
  EVP_CIPHER_CTX_set_flags(ctx.get(), EVP_CIPHER_CTX_FLAG_WRAP_ALLOW);
  const EVP_CIPHER* cipher = EVP_aes_256_wrap_pad();
  int ok = wrap ? EVP_EncryptInit_ex(ctx.get(), cipher, nullptr, U(kek), nullptr)
                : EVP_DecryptInit_ex(ctx.get(), cipher, nullptr, U(kek), nullptr);
  if (ok != 1) return Fail(err, "AES key wrap set-up failed");
  std::string out(in.size() + 16, '\0');
  int n = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  ok = wrap ? EVP_EncryptUpdate(ctx.get(), o, &n, U(in), static_cast<int>(in.size()))
            : EVP_DecryptUpdate(ctx.get(), o, &n, U(in), static_cast<int>(in.size()));
  if (ok != 1 || n < 0) {
    SecureWipe(out);
    return Fail(err, wrap ? "AES key wrap failed" : "AES key unwrap failed");
  }
  int tail = 0;
  ok = wrap ? EVP_EncryptFinal_ex(ctx.get(), o + n, &tail)
            : EVP_DecryptFinal_ex(ctx.get(), o + n, &tail);
  if (ok != 1) {
    SecureWipe(out);
    return Fail(err, wrap ? "AES key wrap failed" : "AES key unwrap failed");
  }
  out.resize(static_cast<size_t>(n + tail));
  return out;
}

}  // namespace

Result<std::string> AesKeyWrapPad(std::string_view kek32, std::string_view plaintext) {
  return Kwp(kek32, plaintext, true);
}

Result<std::string> AesKeyUnwrapPad(std::string_view kek32, std::string_view wrapped) {
  return Kwp(kek32, wrapped, false);
}

Result<std::string> RsaAesKeyWrap(EVP_PKEY* wrapping_public, HashAlg hash,
                                  std::string_view material) {
  std::string aes = RandomBytes(32);
  auto head = RsaOaepEncrypt(wrapping_public, hash, aes);
  auto body = AesKeyWrapPad(aes, material);
  SecureWipe(aes);
  if (!head.ok() || !body.ok()) return Fail(ErrorCode::kEncryptionFailure, "RSA-AES key wrap failed");
  return *head + *body;
}

Result<std::string> RsaAesKeyUnwrap(EVP_PKEY* wrapping_private, HashAlg hash,
                                    std::string_view blob) {
  if (!EVP_PKEY_is_a(wrapping_private, "RSA")) {
    return Fail(ErrorCode::kDecryptionFailure, "not an RSA key");
  }
  const size_t modulus = static_cast<size_t>(EVP_PKEY_get_size(wrapping_private));
  if (blob.size() <= modulus) return Fail(ErrorCode::kDecryptionFailure, "blob too short");
  auto aes = RsaOaepDecrypt(wrapping_private, hash, blob.substr(0, modulus));
  if (!aes.ok() || aes->size() != 32) {
    if (aes.ok()) SecureWipe(*aes);
    return Fail(ErrorCode::kDecryptionFailure, "RSA-AES key unwrap failed");
  }
  auto material = AesKeyUnwrapPad(*aes, blob.substr(modulus));
  SecureWipe(*aes);
  if (!material.ok()) return Fail(ErrorCode::kDecryptionFailure, "RSA-AES key unwrap failed");
  return material;
}

size_t RsaModulusBytes(EVP_PKEY* key) {
  if (key == nullptr || !EVP_PKEY_is_a(key, "RSA")) return 0;
  return static_cast<size_t>(EVP_PKEY_get_size(key));
}

bool PrivateKeyIsOfSpec(std::string_view pkcs8_der, AsymmetricSpec spec) {
  auto key = LoadPrivateKey(pkcs8_der);
  if (!key.ok()) return false;
  EVP_PKEY* k = key->get();
  // The key must be one key pair: a private part whose embedded public part belongs to
  // another pair would publish (GetPublicKey) a key that verifies none of its signatures.
  // (Ed25519's public key is derived from the private one on loading: nothing to compare.)
  if (!EVP_PKEY_is_a(k, "ED25519")) {
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
        EVP_PKEY_CTX_new_from_pkey(nullptr, k, nullptr), EVP_PKEY_CTX_free);
    if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
      ERR_clear_error();
      return false;
    }
  }
  if (IsRsa(spec)) {
    const int bits = spec == AsymmetricSpec::kRsa2048   ? 2048
                     : spec == AsymmetricSpec::kRsa3072 ? 3072
                                                        : 4096;
    return EVP_PKEY_is_a(k, "RSA") && EVP_PKEY_get_bits(k) == bits;
  }
  if (spec == AsymmetricSpec::kEd25519) return EVP_PKEY_is_a(k, "ED25519");
  if (!EVP_PKEY_is_a(k, "EC")) return false;
  char group[64] = {0};
  size_t len = 0;
  if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) != 1) {
    ERR_clear_error();
    return false;
  }
  std::string_view g(group, len);
  switch (spec) {
    case AsymmetricSpec::kP256: return g == "prime256v1" || g == "P-256";
    case AsymmetricSpec::kP384: return g == "secp384r1" || g == "P-384";
    case AsymmetricSpec::kP521: return g == "secp521r1" || g == "P-521";
    case AsymmetricSpec::kSecp256k1: return g == "secp256k1";
    default: return false;
  }
}

Result<std::string> EcdhSharedSecret(EVP_PKEY* ours, EVP_PKEY* peer) {
  if (!EVP_PKEY_is_a(peer, "EC") || !EVP_PKEY_is_a(ours, "EC")) {
    return Fail(ErrorCode::kValidation, "the public key is not an elliptic curve key");
  }
  // A peer on another curve fails the parameter comparison (and the derivation).
  if (EVP_PKEY_parameters_eq(ours, peer) != 1) {
    return Fail(ErrorCode::kValidation, "the public key is on another curve than the KMS key");
  }
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, ours, nullptr));
  size_t n = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer, 1) <= 0 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &n) <= 0) {
    return Fail(ErrorCode::kValidation, "the public key is not a valid point for ECDH");
  }
  std::string out(n, '\0');
  if (EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n) <= 0) {
    SecureWipe(out);
    return Fail(ErrorCode::kValidation, "ECDH derivation failed");
  }
  out.resize(n);
  return out;
}

}  // namespace arcana::crypto
