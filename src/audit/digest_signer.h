// The key that signs audit digests (audit/chain.h). Its private half is never stored: it
// is an Ed25519 seed derived from the root of trust's stable derivation secret
// (RootKey::DeriveKey("audit-digest-ed25519")), so it exists only while unsealed, is the
// same on every node of a store, and survives root-key rotation. The public half is
// published in the store's meta (kPublicKeyMetaKey) at the first signature, where
// `arcana audit verify` reads it: a digest is trusted only under the store's key.
// Thread-safety: Sign and PublicKey may be called concurrently.
#pragma once

#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/meta_store.h"

namespace arcana::audit {

class DigestSigner {
 public:
  virtual ~DigestSigner() = default;
  // Raw 64-byte signature. Errors: kServiceUnavailable while sealed, kInternalFailure.
  virtual Result<std::string> Sign(std::string_view message) = 0;
  // Raw 32-byte public key. Errors as Sign.
  virtual Result<std::string> PublicKey() = 0;
  // Where the node's digest head is remembered (audit/node_head.h); null: nowhere (tests).
  virtual storage::MetaStore* head_store() { return nullptr; }
};

class RootDerivedSigner final : public DigestSigner {
 public:
  // meta may be null (tests): then nothing is published.
  RootDerivedSigner(const crypto::RootKey& root, storage::MetaStore* meta)
      : root_(root), meta_(meta) {}
  Result<std::string> Sign(std::string_view message) override;
  Result<std::string> PublicKey() override;
  storage::MetaStore* head_store() override { return meta_; }

 private:
  const crypto::RootKey& root_;
  storage::MetaStore* meta_;
  std::mutex mu_;
  bool published_ = false;
};

// The store's published key (raw 32 bytes). Errors: kResourceNotFound when none was
// published yet, the store's errors, kValidation for a malformed value.
Result<std::string> PublishedPublicKey(storage::MetaStore& meta);

}  // namespace arcana::audit
