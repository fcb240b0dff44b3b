#include "crypto/asymmetric.h"

#include "crypto/ed25519.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace arcana::crypto {
namespace {

const EVP_MD* Md(HashAlg h) {
  switch (h) {
    case HashAlg::kSha1: return EVP_sha1();
    case HashAlg::kSha224: return EVP_sha224();
    case HashAlg::kSha256: return EVP_sha256();
    case HashAlg::kSha384: return EVP_sha384();
    case HashAlg::kSha512: return EVP_sha512();
  }
  return EVP_sha256();
}

Status Fail(ErrorCode code, std::string what) {
  ERR_clear_error();  // never leak OpenSSL's queue into later calls
  return Status(code, std::move(what));
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Configures a sign/verify context's padding for the scheme.
bool SetPadding(EVP_PKEY_CTX* pctx, SignScheme scheme, HashAlg hash) {
  if (scheme == SignScheme::kRsaPss) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Md(hash)) > 0;
  }
  if (scheme == SignScheme::kRsaPkcs1) {
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  }
  return true;
}

bool SchemeFitsKey(EVP_PKEY* key, SignScheme scheme) {
  switch (scheme) {
    case SignScheme::kEcdsa: return EVP_PKEY_is_a(key, "EC");
    case SignScheme::kEd25519:
    case SignScheme::kEd25519ph: return EVP_PKEY_is_a(key, "ED25519");
    default: return EVP_PKEY_is_a(key, "RSA");
  }
}

// An Ed25519 key's raw 32 bytes: the seed of a private key (private) or the public key.
Result<std::string> RawEd25519(EVP_PKEY* key, bool private_part) {
  std::string out(32, '\0');
  size_t len = out.size();
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  int rc = private_part ? EVP_PKEY_get_raw_private_key(key, p, &len)
                        : EVP_PKEY_get_raw_public_key(key, p, &len);
  if (rc != 1 || len != 32) {
    OPENSSL_cleanse(out.data(), out.size());
    return Fail(ErrorCode::kInternalFailure, "cannot read the Ed25519 key");
  }
  return out;
}

// The SHA-512 digest Ed25519ph signs: the message's, or the message when it is one.
Result<std::string> Ed25519phDigest(std::string_view message, bool message_is_digest) {
  if (message_is_digest) {
    if (message.size() != DigestSize(HashAlg::kSha512)) {
      return Fail(ErrorCode::kValidation, "Digest is invalid length for algorithm");
    }
    return std::string(message);
  }
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(message.data(), message.size(), d, &n, EVP_sha512(), nullptr) != 1) {
    return Fail(ErrorCode::kInternalFailure, "SHA-512 failed");
  }
  return std::string(reinterpret_cast<char*>(d), n);
}

}  // namespace

size_t DigestSize(HashAlg h) { return static_cast<size_t>(EVP_MD_get_size(Md(h))); }

bool IsRsa(AsymmetricSpec s) {
  return s == AsymmetricSpec::kRsa2048 || s == AsymmetricSpec::kRsa3072 ||
         s == AsymmetricSpec::kRsa4096;
}

Result<std::string> GenerateKeyPair(AsymmetricSpec spec) {
  EVP_PKEY* raw = nullptr;
  switch (spec) {
    case AsymmetricSpec::kRsa2048: raw = EVP_RSA_gen(2048); break;
    case AsymmetricSpec::kRsa3072: raw = EVP_RSA_gen(3072); break;
    case AsymmetricSpec::kRsa4096: raw = EVP_RSA_gen(4096); break;
    case AsymmetricSpec::kP256: raw = EVP_EC_gen("P-256"); break;
    case AsymmetricSpec::kP384: raw = EVP_EC_gen("P-384"); break;
    case AsymmetricSpec::kP521: raw = EVP_EC_gen("P-521"); break;
    case AsymmetricSpec::kSecp256k1: raw = EVP_EC_gen("secp256k1"); break;
    case AsymmetricSpec::kEd25519: raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"); break;
  }
  if (raw == nullptr) return Fail(ErrorCode::kInternalFailure, "key pair generation failed");
  PKey key(raw);
  return ExportPrivateKey(key.get());
}

Result<PKey> LoadPrivateKey(std::string_view der) {
  const unsigned char* p = U(der);
  EVP_PKEY* k = d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size()));
  if (k == nullptr) return Fail(ErrorCode::kInternalFailure, "malformed private key");
  return PKey(k);
}

Result<PKey> LoadPublicKey(std::string_view der) {
  const unsigned char* p = U(der);
  EVP_PKEY* k = d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size()));
  if (k == nullptr) return Fail(ErrorCode::kInternalFailure, "malformed public key");
  return PKey(k);
}

Result<std::string> ExportPrivateKey(EVP_PKEY* key) {
  PKCS8_PRIV_KEY_INFO* p8 = EVP_PKEY2PKCS8(key);
  if (p8 == nullptr) return Fail(ErrorCode::kInternalFailure, "cannot encode private key");
  unsigned char* buf = nullptr;
  int n = i2d_PKCS8_PRIV_KEY_INFO(p8, &buf);
  PKCS8_PRIV_KEY_INFO_free(p8);
  if (n <= 0) return Fail(ErrorCode::kInternalFailure, "cannot encode private key");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_clear_free(buf, static_cast<size_t>(n));
  return out;
}

Result<std::string> ExportPublicKey(EVP_PKEY* key) {
  unsigned char* buf = nullptr;
  int n = i2d_PUBKEY(key, &buf);
  if (n <= 0) return Fail(ErrorCode::kInternalFailure, "cannot encode public key");
  std::string out(reinterpret_cast<char*>(buf), static_cast<size_t>(n));
  OPENSSL_free(buf);
  return out;
}

Result<std::string> RsaOaepEncrypt(EVP_PKEY* key, HashAlg hash, std::string_view plaintext) {
  if (!EVP_PKEY_is_a(key, "RSA")) return Fail(ErrorCode::kValidation, "not an RSA key");
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_encrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), Md(hash)) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), Md(hash)) <= 0) {
    return Fail(ErrorCode::kInternalFailure, "RSA-OAEP set-up failed");
  }
  size_t max_plain = static_cast<size_t>(EVP_PKEY_get_size(key)) - 2 * DigestSize(hash) - 2;
  if (plaintext.size() > max_plain) {
    return Fail(ErrorCode::kValidation,
                "Plaintext is too long for the key and encryption algorithm (at most " +
                    std::to_string(max_plain) + " bytes)");
  }
  size_t n = 0;
  if (EVP_PKEY_encrypt(ctx.get(), nullptr, &n, U(plaintext), plaintext.size()) <= 0)
    return Fail(ErrorCode::kInternalFailure, "RSA-OAEP encryption failed");
  std::string out(n, '\0');
  if (EVP_PKEY_encrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, U(plaintext),
                       plaintext.size()) <= 0)
    return Fail(ErrorCode::kInternalFailure, "RSA-OAEP encryption failed");
  out.resize(n);
  return out;
}

Result<std::string> RsaOaepDecrypt(EVP_PKEY* key, HashAlg hash, std::string_view ciphertext) {
  if (!EVP_PKEY_is_a(key, "RSA")) return Fail(ErrorCode::kDecryptionFailure, "not an RSA key");
  PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), Md(hash)) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), Md(hash)) <= 0) {
    return Fail(ErrorCode::kDecryptionFailure, "RSA-OAEP set-up failed");
  }
  size_t n = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &n, U(ciphertext), ciphertext.size()) <= 0)
    return Fail(ErrorCode::kDecryptionFailure, "RSA-OAEP decryption failed");
  std::string out(n, '\0');
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n, U(ciphertext),
                       ciphertext.size()) <= 0) {
    OPENSSL_cleanse(out.data(), out.size());
    return Fail(ErrorCode::kDecryptionFailure, "RSA-OAEP decryption failed");
  }
  out.resize(n);
  return out;
}

Result<std::string> SignMessage(EVP_PKEY* key, SignScheme scheme, HashAlg hash,
                                std::string_view message, bool message_is_digest) {
  if (!SchemeFitsKey(key, scheme)) return Fail(ErrorCode::kValidation, "algorithm does not fit the key");
  if (scheme == SignScheme::kEd25519 || scheme == SignScheme::kEd25519ph) {
    // Both from the key's seed (crypto/ed25519.h): pure Ed25519 signs the message itself.
    if (scheme == SignScheme::kEd25519 && message_is_digest) {
      return Fail(ErrorCode::kValidation, "Ed25519 signs messages, not digests");
    }
    std::string digest;
    if (scheme == SignScheme::kEd25519ph) {
      ARCANA_ASSIGN_OR_RETURN(digest, Ed25519phDigest(message, message_is_digest));
    }
    ARCANA_ASSIGN_OR_RETURN(std::string seed, RawEd25519(key, true));
    auto sig = scheme == SignScheme::kEd25519 ? Ed25519Sign(seed, message)
                                              : Ed25519phSignDigest(seed, digest);
    OPENSSL_cleanse(seed.data(), seed.size());
    return sig;
  }
  std::string sig;
  if (message_is_digest) {
    if (message.size() != DigestSize(hash)) {
      return Fail(ErrorCode::kValidation, "Digest is invalid length for algorithm");
    }
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_sign_init(ctx.get()) <= 0 || !SetPadding(ctx.get(), scheme, hash) ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), Md(hash)) <= 0) {
      return Fail(ErrorCode::kInternalFailure, "signature set-up failed");
    }
    size_t n = 0;
    if (EVP_PKEY_sign(ctx.get(), nullptr, &n, U(message), message.size()) <= 0)
      return Fail(ErrorCode::kInternalFailure, "signing failed");
    sig.resize(n);
    if (EVP_PKEY_sign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, U(message),
                      message.size()) <= 0)
      return Fail(ErrorCode::kInternalFailure, "signing failed");
    sig.resize(n);
    return sig;
  }
  MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by md
  if (!md || EVP_DigestSignInit(md.get(), &pctx, Md(hash), nullptr, key) <= 0 ||
      !SetPadding(pctx, scheme, hash)) {
    return Fail(ErrorCode::kInternalFailure, "signature set-up failed");
  }
  size_t n = 0;
  if (EVP_DigestSign(md.get(), nullptr, &n, U(message), message.size()) <= 0)
    return Fail(ErrorCode::kInternalFailure, "signing failed");
  sig.resize(n);
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(sig.data()), &n, U(message),
                     message.size()) <= 0)
    return Fail(ErrorCode::kInternalFailure, "signing failed");
  sig.resize(n);
  return sig;
}

Result<bool> VerifySignature(EVP_PKEY* key, SignScheme scheme, HashAlg hash,
                             std::string_view message, bool message_is_digest,
                             std::string_view signature) {
  if (!SchemeFitsKey(key, scheme)) return Fail(ErrorCode::kValidation, "algorithm does not fit the key");
  if (scheme == SignScheme::kEd25519ph) {
    ARCANA_ASSIGN_OR_RETURN(std::string digest, Ed25519phDigest(message, message_is_digest));
    ARCANA_ASSIGN_OR_RETURN(std::string pub, RawEd25519(key, false));
    return Ed25519phVerifyDigest(pub, digest, signature);
  }
  if (scheme == SignScheme::kEd25519) {
    if (message_is_digest) return Fail(ErrorCode::kValidation, "Ed25519 signs messages, not digests");
    ARCANA_ASSIGN_OR_RETURN(std::string pub, RawEd25519(key, false));
    return Ed25519Verify(pub, message, signature);
  }
  if (message_is_digest) {
    if (message.size() != DigestSize(hash)) {
      return Fail(ErrorCode::kValidation, "Digest is invalid length for algorithm");
    }
    PKeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
    if (!ctx || EVP_PKEY_verify_init(ctx.get()) <= 0 || !SetPadding(ctx.get(), scheme, hash) ||
        EVP_PKEY_CTX_set_signature_md(ctx.get(), Md(hash)) <= 0) {
      return Fail(ErrorCode::kInternalFailure, "verification set-up failed");
    }
    int rc = EVP_PKEY_verify(ctx.get(), U(signature), signature.size(), U(message), message.size());
    ERR_clear_error();
    return rc == 1;
  }
  MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit(md.get(), &pctx, Md(hash), nullptr, key) <= 0 ||
      !SetPadding(pctx, scheme, hash)) {
    return Fail(ErrorCode::kInternalFailure, "verification set-up failed");
  }
  int rc = EVP_DigestVerify(md.get(), U(signature), signature.size(), U(message), message.size());
  ERR_clear_error();
  return rc == 1;
}

Result<std::string> Hmac(HashAlg hash, std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (HMAC(Md(hash), key.data(), static_cast<int>(key.size()), U(message), message.size(), out,
           &n) == nullptr) {
    return Fail(ErrorCode::kInternalFailure, "HMAC failed");
  }
  return std::string(reinterpret_cast<char*>(out), n);
}

}  // namespace arcana::crypto
