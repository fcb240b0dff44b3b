// The root-of-trust part of the storage seam (seal/): one place that can walk every blob
// sealed directly under the root key that the core store keeps, and rewrite them in ONE
// transaction, plus multi-key metadata updates (the root's verification value, wrapped
// derivation secret, PKCS#11-wrapped root, pending rotation) in one transaction.
// KMS key materials are walked in the same transaction, so one rewrap covers every blob.
// Thread-safety: as Store.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

struct RootWrappedBlob {
  enum class Kind {
    kAccessKeySecret,  // id = access key id, account, principal; blob = the sealed secret
    kSecretValue,      // id = secret ARN, sub = version id; blob = envelope (crypto/envelope.h)
    kMeta,             // id = meta key; blob = its value
    kKmsKeyMaterial,   // id = KMS key id, sub = material id, aad; blob = the wrapped material
    // id = an EventBridge connection's ARN; blob = its credentials, base64 text of a blob
    // sealed under the root key with EventConnectionSecretAad(id) (event_connection_store.h).
    kEventConnectionSecret,
  };
  Kind kind;
  std::string id;
  std::string sub;
  std::string blob;
  std::string account;    // kAccessKeySecret
  std::string principal;  // kAccessKeySecret
  // kKmsKeyMaterial: the AAD recorded beside the blob. Only a rewrap uses it (to re-seal the
  // blob under the same binding); use recomputes the AAD from the key (kms/key_ring.h).
  std::string aad;
};

class RootOfTrustStore {
 public:
  virtual ~RootOfTrustStore() = default;
  // In one write transaction: calls fn for every access key, every secret value, every
  // KMS key material, every EventBridge connection's credentials and each present meta key
  // of meta_keys; a returned value replaces that blob, nullopt leaves it;
  // then applies meta_puts / meta_deletes. An error from fn aborts and nothing changes.
  // Returns how many blobs were replaced. Appends one Change (service "arcana", resource
  // Change::kRootResource, kind "RewrapRootBlobs") in the same transaction.
  using RewrapFn = std::function<Result<std::optional<std::string>>(const RootWrappedBlob&)>;
  virtual Result<size_t> RewrapRootBlobs(
      const std::vector<std::string>& meta_keys, const RewrapFn& fn,
      const std::vector<std::pair<std::string, std::string>>& meta_puts,
      const std::vector<std::string>& meta_deletes) = 0;
  // Puts and deletes meta keys in one transaction.
  virtual Status UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                            const std::vector<std::string>& deletes) = 0;
};

}  // namespace arcana::storage
