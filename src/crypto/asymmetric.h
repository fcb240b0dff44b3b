// Asymmetric keys for KMS over OpenSSL 3 EVP: generation, DER import/export, RSA-OAEP
// encryption and RSA/ECDSA signatures. Private keys travel as PKCS#8 DER (unencrypted;
// callers wrap them with the root key before they reach the disk) and public keys as DER
// SubjectPublicKeyInfo, the form KMS GetPublicKey returns.
// Signatures: RSASSA-PSS uses MGF1 with the same hash and a salt as long as the digest
// (what AWS KMS does); ECDSA signatures are DER-encoded (X9.62 Ecdsa-Sig-Value); Ed25519
// signatures are RFC 8032's 64 bytes: kEd25519 signs the message itself (no digest form),
// kEd25519ph a SHA-512 digest of it (crypto/ed25519.h).
// Errors never contain key material. Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "common/status.h"

namespace arcana::crypto {

struct PKeyDeleter {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct PKeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using PKey = std::unique_ptr<EVP_PKEY, PKeyDeleter>;
using PKeyCtx = std::unique_ptr<EVP_PKEY_CTX, PKeyCtxDeleter>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

enum class AsymmetricSpec {
  kRsa2048, kRsa3072, kRsa4096, kP256, kP384, kP521, kSecp256k1, kEd25519
};
enum class HashAlg { kSha1, kSha224, kSha256, kSha384, kSha512 };
enum class SignScheme { kRsaPss, kRsaPkcs1, kEcdsa, kEd25519, kEd25519ph };

size_t DigestSize(HashAlg h);
bool IsRsa(AsymmetricSpec s);

// A fresh key pair as PKCS#8 DER.
Result<std::string> GenerateKeyPair(AsymmetricSpec spec);
// Loads PKCS#8 DER (kInternalFailure when malformed).
Result<PKey> LoadPrivateKey(std::string_view pkcs8_der);
// Loads DER SubjectPublicKeyInfo.
Result<PKey> LoadPublicKey(std::string_view spki_der);
// PKCS#8 DER of a private key.
Result<std::string> ExportPrivateKey(EVP_PKEY* key);
// DER SubjectPublicKeyInfo of a (private or public) key.
Result<std::string> ExportPublicKey(EVP_PKEY* key);

// RSAES-OAEP with MGF1(hash) and the same hash for the label. kValidation when the
// plaintext is too long for the key; kDecryptionFailure on any decryption failure.
Result<std::string> RsaOaepEncrypt(EVP_PKEY* key, HashAlg hash, std::string_view plaintext);
Result<std::string> RsaOaepDecrypt(EVP_PKEY* key, HashAlg hash, std::string_view ciphertext);

// message_is_digest: `message` is already the digest (KMS MessageType DIGEST); it must
// be exactly DigestSize(hash) bytes (kValidation otherwise). kEd25519 has no digest form
// (kValidation); kEd25519ph hashes a message with SHA-512 (hash is not consulted).
Result<std::string> SignMessage(EVP_PKEY* key, SignScheme scheme, HashAlg hash,
                                std::string_view message, bool message_is_digest);
// false for a well-formed but wrong signature or a malformed one.
Result<bool> VerifySignature(EVP_PKEY* key, SignScheme scheme, HashAlg hash,
                             std::string_view message, bool message_is_digest,
                             std::string_view signature);

// HMAC(hash, key, message) (RFC 2104).
Result<std::string> Hmac(HashAlg hash, std::string_view key, std::string_view message);

}  // namespace arcana::crypto
