// The KMS part of the storage seam: keys (metadata + wrapped key materials), aliases and
// grants, per account and region. See store_types.h for the contract every component shares
// (durability, revisions of keys, change rows, bounded lists, errors). Key material is stored ONLY wrapped by the root key
// (crypto::RootKey::Seal with AAD KeyMaterialAad(key ARN, material id)); the store never
// sees it in the clear.
//
// KeyMaterialRecord::aad is the AAD recorded beside the blob. It is NOT trusted at use: the
// KeyRing recomputes the AAD from the key it is opening material for, so a row swapped
// between keys fails to open. Only a rewrap reads it, to re-seal a blob under the same
// binding it already has. Root rotation rewraps materials through
// RootOfTrustStore::RewrapRootBlobs (root_store.h), in the same transaction as every other
// root-wrapped blob; RewrapKeyMaterials(fn) rewrites only the materials, in ONE transaction
// (fn returns each blob wrapped under the new root; any error aborts and nothing changes).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "domain/kms/key.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct KeyMaterialRecord {
  std::string key_id;
  std::string material_id;
  std::string aad;      // as written: KeyMaterialAad(key_arn, material_id); rewrap only
  std::string wrapped;  // RootKey::Seal(material, aad)
};

// The AAD binding a wrapped material to its key and material id.
inline std::string KeyMaterialAad(const std::string& key_arn, const std::string& material_id) {
  return "arcana:kms:key-material|" + key_arn + "|" + material_id;
}

// One key's part of a WriteKmsKeys transaction.
struct KmsKeyWrite {
  domain::kms::Key key;                          // written at key.revision (0 creates)
  std::vector<KeyMaterialRecord> put_materials;  // inserted, or replacing the row of that id
  std::vector<std::string> drop_material_ids;    // deleted (absent ones are ignored)
};

class KmsStore {
 public:
  virtual ~KmsStore() = default;

  // --- keys ---
  virtual Result<std::optional<domain::kms::Key>> GetKmsKey(const Scope& scope,
                                                             const std::string& key_id) = 0;
  // Keys of the scope (including pending deletion), ordered by key id, starting after
  // `after_key_id` ("" = from the start), at most limit.
  virtual Result<std::vector<domain::kms::Key>> ListKmsKeys(const Scope& scope,
                                                            const std::string& after_key_id,
                                                            size_t limit) = 0;
  // Keys in any scope whose deletion date is at or before now_ms, or whose automatic
  // rotation is due at or before now_ms; at most limit.
  virtual Result<std::vector<domain::kms::Key>> ListKmsKeysDue(int64_t now_ms, size_t limit) = 0;
  // Writes the key metadata and inserts new_materials, in one transaction. key.revision 0
  // creates (kAlreadyExists if the key exists); else kWriteConflict unless the stored key
  // is still at key.revision. `change` is the Change kind recorded, e.g. "CreateKey".
  virtual Status PutKmsKey(const domain::kms::Key& key,
                           const std::vector<KeyMaterialRecord>& new_materials,
                           const std::string& change) = 0;
  // Creates the key and the alias together (AWS-managed keys); kAlreadyExists when the
  // alias already exists (nothing written).
  virtual Status CreateKmsKeyWithAlias(const domain::kms::Key& key,
                                       const std::vector<KeyMaterialRecord>& materials,
                                       const domain::kms::Alias& alias) = 0;
  // Writes several keys - the related keys of a multi-Region key, or one key whose materials
  // are replaced or deleted (imported key material) - in ONE transaction with one Change
  // `change` per key: all or nothing (kAlreadyExists / kWriteConflict as PutKmsKey, for any
  // of them).
  virtual Status WriteKmsKeys(const std::vector<KmsKeyWrite>& writes,
                              const std::string& change) = 0;
  // Every key with this id in any region of the account (a multi-Region key's primary and
  // replicas), ordered by region.
  virtual Result<std::vector<domain::kms::Key>> ListKmsKeyRegions(const std::string& account,
                                                                  const std::string& key_id) = 0;
  // Material rows are per key id, not per region: the related keys of a multi-Region key
  // share them (sealed under a region-neutral AAD, see KeyRing::MaterialAad). With imported
  // material each region holds its import on its own: writers drop a row only when no related
  // key holds it (KeyRing::WriteImportedMaterials decides; the store deletes what it is told).
  virtual Result<std::optional<KeyMaterialRecord>> GetKeyMaterial(const std::string& key_id,
                                                                   const std::string& material_id) = 0;
  // Deletes the key, its aliases and its grants, and its materials unless a key of the same
  // id remains in another region of the account (a multi-Region key's other keys). expected_revision 0: whatever
  // is stored; else kWriteConflict unless the stored key is at that revision.
  virtual Status DeleteKmsKey(const Scope& scope, const std::string& key_id,
                              int64_t expected_revision) = 0;

  // --- aliases ---
  virtual Result<std::optional<domain::kms::Alias>> GetKmsAlias(const Scope& scope,
                                                                 const std::string& name) = 0;
  // Ordered by alias name, starting after `after_name` ("" = from the start), at most limit;
  // key_id non-empty: only that key's aliases.
  virtual Result<std::vector<domain::kms::Alias>> ListKmsAliases(const Scope& scope,
                                                                 const std::string& key_id,
                                                                 const std::string& after_name,
                                                                 size_t limit) = 0;
  // create: insert (kAlreadyExists if present); else update the existing alias
  // (kKmsNotFound if absent). kKmsLimitExceeded (nothing written) when the target key already
  // has max_per_key aliases other than this one (an update that keeps the alias's key is not
  // refused). The write first takes the target key's row (PostgreSQL: FOR UPDATE; SQLite: its
  // single writer) and then counts, as CreateKmsGrant does, so concurrent creates and updates
  // on every node take the key's last places one at a time. kKmsNotFound when the target key
  // is gone.
  virtual Status PutKmsAlias(const domain::kms::Alias& alias, bool create,
                             size_t max_per_key) = 0;
  // kKmsNotFound if absent.
  virtual Status DeleteKmsAlias(const Scope& scope, const std::string& name) = 0;

  // --- grants ---
  // CreateGrant's write: stores `grant` on its key (grant.account, region, key_id) unless the
  // key already holds the same named grant (domain::kms::SameNamedGrant), in ONE write that
  // first takes the key's row (PostgreSQL: FOR UPDATE; SQLite: its single writer) and then
  // checks, so every node's CreateGrant on one key takes its turn: a retry through another
  // node while the first call is in flight finds the first's grant, and two calls cannot
  // both pass the limit at max_grants - 1. Returns the grant the key holds for the request:
  // `grant` as stored, or the existing one (nothing written). kWriteConflict unless the key
  // is stored at key_revision - the revision whose state the caller checked (a deletion
  // scheduled, a disable committed meanwhile; or the key is gone): nothing written, read
  // again and retry. kKmsLimitExceeded when the key already holds max_grants grants.
  virtual Result<domain::kms::Grant> CreateKmsGrant(const domain::kms::Grant& grant,
                                                    int64_t key_revision, size_t max_grants) = 0;
  // Grants of one key, ordered by grant id, after `after_grant_id`, at most limit.
  virtual Result<std::vector<domain::kms::Grant>> ListKmsGrants(const Scope& scope,
                                                                const std::string& key_id,
                                                                const std::string& after_grant_id,
                                                                size_t limit) = 0;
  // Grants on the keys of `region` in EVERY account whose retiring principal is `principal`,
  // ordered by grant id, after `after_grant_id`, at most limit (ListRetirableGrants: a grant
  // lives with its key, and another account's key may name the caller's principal).
  virtual Result<std::vector<domain::kms::Grant>> ListKmsGrantsByRetiringPrincipal(
      const std::string& region, const std::string& principal,
      const std::string& after_grant_id, size_t limit) = 0;
  // kKmsNotFound if absent.
  virtual Status DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                                const std::string& grant_id) = 0;

  // --- root of trust support ---
  virtual Result<std::vector<KeyMaterialRecord>> ListKeyMaterials() = 0;
  virtual Status RewrapKeyMaterials(
      const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) = 0;

  // Dev-mode reset: drops every KMS key, material, alias and grant.
  virtual Status WipeKms() = 0;
};

}  // namespace arcana::storage
