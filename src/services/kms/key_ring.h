// The KMS engine shared by the KMS API (kms_service) and by other services that encrypt
// under KMS keys (KmsDataKeyProvider for Secrets Manager and Parameter Store): resolving
// key references (id, ARN, alias, alias ARN) to keys, creating keys and their material,
// rotating, and symmetric encryption/decryption with the self-describing ciphertext of
// crypto/kms_ciphertext.h.
//
// Key material: generated here, wrapped with crypto::RootKey::Seal under
// storage::KeyMaterialAad(arn, material_id) before it reaches the store, and unwrapped on
// use with that AAD recomputed from the key's identity (never the copy stored beside the
// blob), so a material row moved to another key or material id does not open.
// Every writer of new material (CreateKey, Rotate - also from the maintenance thread -,
// AWS-managed key creation) holds the root key (RootKey::Hold) from Seal to commit, so a
// root rotation waits for it instead of forgetting the key it was sealed with.
// Unwrapped materials are cached in memory (as an HSM holds its keys) in SecretStrings
// (locked, undumpable, wiped when evicted, purged, on seal and on destruction).
// AWS-managed keys (alias/aws/<service>) are created on first use per account+region.
// Thread-safety: all methods are thread-safe. Callers doing read-modify-write of key
// metadata hold write_mutex() around the read and the write.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"
#include "crypto/envelope.h"
#include "crypto/root_key.h"
#include "crypto/secure_memory.h"
#include "domain/kms/key.h"
#include "storage/kms_store.h"

namespace arcana::services::kms {

using domain::kms::Key;

class KeyRing {
 public:
  KeyRing(storage::KmsStore& store, const crypto::RootKey& root);
  ~KeyRing();

  // The root-wrap AAD of a material: storage::KeyMaterialAad(key ARN from the key's account,
  // region and id, material_id).
  static std::string MaterialAad(const Key& key, const std::string& material_id);

  std::mutex& write_mutex() { return write_mu_; }
  storage::KmsStore& store() { return store_; }

  struct ResolveOptions {
    bool allow_alias = true;          // management ops take key id / key ARN only
    bool create_aws_managed = false;  // create alias/aws/<service> keys on first use
  };
  // The key a caller names. kKmsNotFound when absent or purged (its deletion date passed),
  // kInvalidArn for a malformed ARN.
  Result<Key> Resolve(const storage::Scope& scope, std::string_view key_ref, int64_t now_ms,
                      ResolveOptions opts);
  Result<Key> Resolve(const storage::Scope& scope, std::string_view key_ref, int64_t now_ms) {
    return Resolve(scope, key_ref, now_ms, ResolveOptions{});
  }

  // Fills key material for a new key (key.materials gets its first entry) and stores it
  // (kAlreadyExists on an id collision). key.key_spec/key_usage must be valid. On success
  // key.revision is the stored revision.
  Status CreateKey(Key& key, int64_t now_ms);
  // Adds a new current material to a symmetric key and stores the key (kWriteConflict when
  // the stored key is no longer at key.revision). On success key.revision is the stored one.
  Status Rotate(Key& key, const std::string& rotation_type, int64_t now_ms);
  // Removes a key, its materials, aliases and grants.
  Status Purge(const Key& key);

  // The unwrapped material `material_id` of `key` (kKmsInternal when missing/corrupt).
  Result<std::string> Material(const Key& key, const std::string& material_id);

  // Wipes every cached unwrapped material (on seal, on dev reset).
  void ForgetMaterials();

  // Symmetric encryption under the key's current material.
  Result<std::string> Encrypt(const Key& key, const crypto::EncryptionContext& ctx,
                              std::string_view plaintext);
  struct Decrypted {
    Key key;
    std::string material_id;  // hex
    std::string plaintext;
  };
  // Finds the key from the blob (in `scope`), checks it is usable and decrypts.
  // kInvalidCiphertext for a blob that is not ours, tampered or under another context;
  // kKmsNotFound / kDisabled / kKmsInvalidState for the key.
  Result<Decrypted> Decrypt(const storage::Scope& scope, std::string_view blob,
                            const crypto::EncryptionContext& ctx, int64_t now_ms);

 private:
  Result<Key> CreateAwsManaged(const storage::Scope& scope, const std::string& alias,
                               int64_t now_ms);
  Result<storage::KeyMaterialRecord> NewMaterial(const Key& key, const std::string& material_id);
  // kServiceUnavailable while sealed.
  Result<crypto::RootKey::Hold> HoldRoot() const;
  void Cache(const std::string& cache_key, crypto::SecretString material);

  storage::KmsStore& store_;
  const crypto::RootKey& root_;
  std::mutex write_mu_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, crypto::SecretString> cache_;  // key_id/material_id -> material
};

}  // namespace arcana::services::kms
