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
// (locked, undumpable, wiped when evicted, purged, on seal and on destruction). A key purged,
// or its imported material deleted or expired, on another node leaves this node's memory at
// this node's next freshness check of the change sequence (FollowChanges).
// AWS-managed keys (alias/aws/<service>) are created on first use per account+region.
// Thread-safety: all methods are thread-safe. Read-modify-write of key metadata is
// optimistic: the caller writes the key at the revision it read (storage/kms_store.h) and
// re-runs on kWriteConflict (services/common/write_retry.h); there is no process lock, so it
// is correct with several nodes on one store.
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
#include "storage/change_follower.h"
#include "storage/kms_store.h"

namespace arcana::services::kms {

using domain::kms::Key;

class KeyRing {
 public:
  KeyRing(storage::KmsStore& store, const crypto::RootKey& root);
  ~KeyRing();

  // The root-wrap AAD of a material: storage::KeyMaterialAad(key ARN from the key's account,
  // region and id, material_id). Multi-Region keys share their material rows between
  // regions, so theirs names the region "*" (materials of multi-Region keys sealed before
  // replicas existed, under their own region's ARN, still open: Material tries both).
  static std::string MaterialAad(const Key& key, const std::string& material_id);

  storage::KmsStore& store() { return store_; }

  struct ResolveOptions {
    bool allow_alias = true;          // management ops take key id / key ARN only
    bool create_aws_managed = false;  // create alias/aws/<service> keys on first use
    // A key ARN or alias ARN naming another account (in scope's region) resolves in that
    // account: the operations AWS lets another account use by ARN ("Cross-account use: Yes").
    // The caller must then authorize the key (its key policy must name the caller's account).
    bool allow_other_account = false;
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
  // Adds a new current material to a symmetric key and stores the key at key.revision
  // (kWriteConflict if it moved on: nothing is stored; read again and retry). On success
  // key.revision is the stored one. rotation_type: "AUTOMATIC" | "ON_DEMAND".
  Status Rotate(Key& key, const std::string& rotation_type, int64_t now_ms);
  // Removes a key, its materials, aliases and grants, if the stored key is still at
  // key.revision (kWriteConflict otherwise: e.g. a CancelKeyDeletion committed first).
  // A multi-Region key's material rows stay while a related key remains; of imported
  // material, those no remaining key holds go too (best effort: if that second write
  // conflicts, the next import or deletion in a remaining region drops them).
  Status Purge(const Key& key, int64_t now_ms);

  // --- multi-Region keys ---
  // `key`'s related keys: itself and its primary/replicas in the other regions (ListKmsKeyRegions).
  Result<std::vector<Key>> RelatedKeys(const Key& key);
  // Creates `replica` (a copy of `primary` for another region, revision 0) together with a
  // re-seal of every material under the region-neutral AAD, and re-writes `primary` at its
  // revision, in one transaction (kAlreadyExists, kWriteConflict). A replica of an EXTERNAL
  // primary gets no material (AWS: the same material must be imported into it): it knows the
  // primary's material ids, none imported, and the caller puts it in PendingImport.
  Status CreateReplica(const Key& primary, Key& replica);

  // --- imported key material (Origin EXTERNAL) ---
  struct ImportParameters {
    std::string public_key;  // DER SubjectPublicKeyInfo of a fresh RSA wrapping key
    std::string token;       // the import token
    int64_t valid_to_ms = 0;
  };
  // A fresh RSA wrapping key pair (wrapping_spec RSA_2048 | RSA_3072 | RSA_4096) and an import
  // token valid 24 hours. The token carries the wrapping private key, the algorithm and the
  // expiry, sealed by the root key and bound to the key's ARN: any node can open it, no
  // node has to remember it, and it opens for no other key.
  Result<ImportParameters> NewImportParameters(const Key& key, const std::string& algorithm,
                                               const std::string& wrapping_spec, int64_t now_ms);
  // Unwraps encrypted key material with the wrapping key of `token`.
  // kInvalidImportToken (not ours, for another key, tampered), kExpiredImportToken,
  // kInvalidCiphertext (the material does not unwrap with that key and algorithm).
  Result<std::string> UnwrapImportedMaterial(const Key& key, std::string_view token,
                                             std::string_view encrypted, int64_t now_ms);
  // The KeyMaterialId of imported material: a keyed digest of (key ARN, material), so
  // re-importing the same material finds the same id, and the id reveals nothing.
  Result<std::string> ImportedMaterialId(const Key& key, std::string_view material);
  // Seals material for `key` (the record to store); the plaintext stays cached.
  Result<storage::KeyMaterialRecord> SealMaterial(const Key& key, const std::string& material_id,
                                                  std::string material);
  // Held by every writer of newly sealed material from Seal to commit (see above).
  // kServiceUnavailable while sealed.
  Result<crypto::RootKey::Hold> HoldRoot() const;
  // Commits `writes` that import, delete or expire imported material (writes[0] is the key
  // the request names; others are related keys it changes too). The drop_material_ids of the
  // writes are candidates only: a row is dropped when no related key still holds that
  // material imported (their rows are shared, see storage/kms_store.h). For a multi-Region
  // key every related key not in `writes` is written too, unchanged but for material that
  // expired by now_ms, at the revision read here: an import or deletion committed meanwhile
  // in another region conflicts (kWriteConflict: read again and retry) instead of racing
  // the row drop. Dropped materials leave this node's cache.
  Status WriteImportedMaterials(std::vector<storage::KmsKeyWrite> writes,
                                const std::string& change, int64_t now_ms);
  // Drops a material from this node's cache (deleted or expired imported material).
  void ForgetMaterial(const std::string& key_id, const std::string& material_id);

  // The unwrapped material `material_id` of `key` (kKmsInternal when missing/corrupt).
  Result<std::string> Material(const Key& key, const std::string& material_id);

  // Wipes every cached unwrapped material (on seal, on dev reset).
  void ForgetMaterials();
  // Follows the change sequence (storage/change_follower.h) of every node: a change of a key
  // (its deletion, its imported material deleted or expired, any other write but a grant's)
  // wipes this node's unwrapped materials of that key id, and a reset wipes them all; the
  // next use unwraps the stored row again, if it is still there. Called once at startup;
  // the ring must outlive the follower's last Sync.
  void FollowChanges(storage::ChangeFollower& follower);

  // Symmetric encryption under the key's current material.
  Result<std::string> Encrypt(const Key& key, const crypto::EncryptionContext& ctx,
                              std::string_view plaintext);
  struct Decrypted {
    Key key;
    std::string material_id;  // hex
    std::string plaintext;
  };
  // For Decrypt without a KeyId whose ciphertext names a key id the caller's account (in
  // `scope`) does not hold: the key ARN of the key of that id in another account, if any.
  // AWS decrypts another account's ciphertext without KeyId when that key's policy allows
  // the caller ("the ciphertext names the key"). Key ids are global here (material rows are
  // keyed by key id alone), so the material row the blob names tells the key's account: its
  // recorded AAD holds the key ARN. That AAD is only a pointer: the key found must still be
  // authorized, and its material opens under the AAD recomputed from that key, so a
  // misleading row leads to no plaintext. nullopt when the blob is not ours or names no key
  // of another account.
  Result<std::optional<std::string>> OtherAccountKeyOf(const storage::Scope& scope,
                                                       std::string_view blob);
  // Finds the key from the blob (in `scope`), checks it is usable and decrypts.
  // kInvalidCiphertext for a blob that is not ours, tampered or under another context;
  // kKmsNotFound / kDisabled / kKmsInvalidState for the key.
  Result<Decrypted> Decrypt(const storage::Scope& scope, std::string_view blob,
                            const crypto::EncryptionContext& ctx, int64_t now_ms);

 private:
  Result<Key> CreateAwsManaged(const storage::Scope& scope, const std::string& alias,
                               int64_t now_ms);
  Result<storage::KeyMaterialRecord> NewMaterial(const Key& key, const std::string& material_id);
  void Cache(const std::string& cache_key, crypto::SecretString material);
  // Cache, unless a change of some key was applied since `epoch` (forget_epoch_ read before
  // the material's row): its removal ran before this insert would, and would be undone.
  void CacheIfNoChangeSince(uint64_t epoch, const std::string& cache_key,
                            crypto::SecretString material);

  storage::KmsStore& store_;
  const crypto::RootKey& root_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, crypto::SecretString> cache_;  // key_id/material_id -> material
  uint64_t forget_epoch_ = 0;  // guarded by cache_mu_: bumped by every removal a change makes
};

}  // namespace arcana::services::kms
