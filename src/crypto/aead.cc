#include "crypto/aead.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "crypto/random.h"

namespace arcana::crypto {
namespace {

struct CipherCtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;

// Fetched once and intentionally leaked (see hash.cc).
const EVP_CIPHER* Aes256Gcm() {
  static const EVP_CIPHER* c = [] {
    EVP_CIPHER* f = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (f == nullptr) std::abort();
    return f;
  }();
  return c;
}

const unsigned char* U(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
unsigned char* U(std::string& s, size_t off) {
  return reinterpret_cast<unsigned char*>(s.data()) + off;
}

Status SealError() { return Status(ErrorCode::kEncryptionFailure, "Encryption failed."); }
Status OpenError() {
  return Status(ErrorCode::kDecryptionFailure, "Decryption failed.");
}

// OpenSSL takes int lengths.
bool FitsInt(size_t n) { return n <= static_cast<size_t>(INT_MAX) - 64; }

}  // namespace

Result<std::string> AeadSeal(std::string_view key32, std::string_view plaintext,
                             std::string_view aad) {
  if (key32.size() != kAeadKeySize || !FitsInt(plaintext.size()) || !FitsInt(aad.size())) {
    return SealError();
  }
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return SealError();

  std::string out = RandomBytes(kAeadNonceSize);
  out.resize(kAeadNonceSize + plaintext.size() + kAeadTagSize);
  int len = 0;
  if (EVP_EncryptInit_ex2(ctx.get(), Aes256Gcm(), U(key32), U(out, 0), nullptr) != 1) {
    return SealError();
  }
  if (!aad.empty() &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return SealError();
  }
  size_t written = 0;
  if (!plaintext.empty()) {
    if (EVP_EncryptUpdate(ctx.get(), U(out, kAeadNonceSize), &len, U(plaintext),
                          static_cast<int>(plaintext.size())) != 1) {
      SecureWipe(out);
      return SealError();
    }
    written = static_cast<size_t>(len);
  }
  if (EVP_EncryptFinal_ex(ctx.get(), U(out, kAeadNonceSize + written), &len) != 1) {
    SecureWipe(out);
    return SealError();
  }
  written += static_cast<size_t>(len);
  if (written != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kAeadTagSize),
                          U(out, kAeadNonceSize + written)) != 1) {
    SecureWipe(out);
    return SealError();
  }
  return out;
}

Result<std::string> AeadOpen(std::string_view key32, std::string_view sealed,
                             std::string_view aad) {
  if (key32.size() != kAeadKeySize || sealed.size() < kAeadOverhead ||
      !FitsInt(sealed.size()) || !FitsInt(aad.size())) {
    return OpenError();
  }
  const std::string_view nonce = sealed.substr(0, kAeadNonceSize);
  const std::string_view ct =
      sealed.substr(kAeadNonceSize, sealed.size() - kAeadOverhead);
  const std::string_view tag = sealed.substr(sealed.size() - kAeadTagSize);

  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return OpenError();
  int len = 0;
  if (EVP_DecryptInit_ex2(ctx.get(), Aes256Gcm(), U(key32), U(nonce), nullptr) != 1) {
    return OpenError();
  }
  if (!aad.empty() &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1) {
    return OpenError();
  }
  std::string out(ct.size(), '\0');
  size_t written = 0;
  if (!ct.empty()) {
    if (EVP_DecryptUpdate(ctx.get(), U(out, 0), &len, U(ct), static_cast<int>(ct.size())) !=
        1) {
      SecureWipe(out);
      return OpenError();
    }
    written = static_cast<size_t>(len);
  }
  // OpenSSL wants a mutable pointer for SET_TAG; it only reads it.
  std::string tag_copy(tag);
  if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kAeadTagSize),
                          tag_copy.data()) != 1) {
    SecureWipe(out);
    return OpenError();
  }
  // `out` may hold unauthenticated plaintext here: wipe it unless the tag verifies.
  unsigned char final_buf[16];
  if (EVP_DecryptFinal_ex(ctx.get(), final_buf, &len) != 1 || len != 0 ||
      written != ct.size()) {
    SecureWipe(out);
    return OpenError();
  }
  return out;
}

void SecureWipe(std::string& s) {
  if (!s.empty()) OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

}  // namespace arcana::crypto
