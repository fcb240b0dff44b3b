// The root key: 256 bits that wrap every other key Arcana holds (data keys of secret
// versions, stored access-key secrets, derived MAC keys). Kept in a 0600 key file
// created at init; the KMS issue replaces the file with a sealed root (Shamir / HSM).
// Thread-safety: immutable after Load; all methods are const and thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::crypto {

class RootKey {
 public:
  // Reads path, or creates it (0600, 32 random bytes, fsync'd) when create_if_missing.
  static Result<RootKey> LoadOrCreate(const std::string& path, bool create_if_missing);
  static RootKey FromBytes(std::string key32);  // tests

  RootKey(RootKey&&) noexcept;
  RootKey& operator=(RootKey&&) noexcept;
  ~RootKey();

  // AES-256-GCM under the root key, bound to aad (see aead.h for the byte format).
  Result<std::string> Seal(std::string_view plaintext, std::string_view aad) const;
  Result<std::string> Open(std::string_view sealed, std::string_view aad) const;
  // A 32-byte key for one purpose (HMAC(root, "arcana:" + purpose)); never the root itself.
  std::string DeriveKey(std::string_view purpose) const;
  // A short stable identifier of this root key (for the ciphertext header), not secret.
  const std::string& id() const { return id_; }

 private:
  explicit RootKey(std::string key32);
  std::string key_;
  std::string id_;
};

}  // namespace arcana::crypto
