#include "audit/digest_signer.h"

#include "audit/chain.h"
#include "crypto/ed25519.h"
#include "crypto/hash.h"
#include "crypto/aead.h"

namespace arcana::audit {
namespace {

constexpr std::string_view kPurpose = "audit-digest-ed25519";

}  // namespace

Result<std::string> RootDerivedSigner::PublicKey() {
  ARCANA_ASSIGN_OR_RETURN(std::string seed, root_.DeriveKey(kPurpose));
  auto pub = crypto::Ed25519PublicKey(seed);
  crypto::SecureWipe(seed);
  return pub;
}

Result<std::string> RootDerivedSigner::Sign(std::string_view message) {
  ARCANA_ASSIGN_OR_RETURN(std::string seed, root_.DeriveKey(kPurpose));
  auto sig = crypto::Ed25519Sign(seed, message);
  auto pub = crypto::Ed25519PublicKey(seed);
  crypto::SecureWipe(seed);
  if (!sig.ok()) return sig.status();
  if (!pub.ok()) return pub.status();
  std::lock_guard lk(mu_);
  if (!published_ && meta_ != nullptr) {
    ARCANA_ASSIGN_OR_RETURN(std::string stored,
                            meta_->PutMetaIfAbsent(kPublicKeyMetaKey, crypto::HexEncode(*pub)));
    if (stored != crypto::HexEncode(*pub)) {
      return Status(ErrorCode::kInternalFailure,
                    "the store's audit digest key is not this node's: refusing to sign");
    }
    published_ = true;
  }
  return sig;
}

Result<std::string> PublishedPublicKey(storage::MetaStore& meta) {
  ARCANA_ASSIGN_OR_RETURN(auto hex, meta.GetMeta(kPublicKeyMetaKey));
  if (!hex) {
    return Status(ErrorCode::kResourceNotFound,
                  "the store has no audit digest key yet (no digest was ever signed)");
  }
  std::string raw = HexToBytes(*hex);
  if (raw.size() != 32) return Status(ErrorCode::kValidation, "malformed audit digest key");
  return raw;
}

}  // namespace arcana::audit
