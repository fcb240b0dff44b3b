// The KMS resource model: keys (metadata plus the list of their key materials), aliases
// and grants, as stored per account and region. Plain values; rules live in the other
// domain/kms files, persistence in storage/kms_store.h. Key material bytes are never
// part of these structs: only their ids and history (the wrapped bytes stay in the store).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace arcana::domain::kms {

// KeyState values used here (the model also has Unavailable, ...).
inline constexpr const char* kStateEnabled = "Enabled";
inline constexpr const char* kStateDisabled = "Disabled";
inline constexpr const char* kStatePendingDeletion = "PendingDeletion";
// An EXTERNAL key without (usable) imported material: never imported, deleted or expired.
inline constexpr const char* kStatePendingImport = "PendingImport";
// A multi-Region primary key scheduled for deletion while it still has replicas.
inline constexpr const char* kStatePendingReplicaDeletion = "PendingReplicaDeletion";
// Only ever answered, never stored: ReplicateKey's view of the replica it just created.
inline constexpr const char* kStateCreating = "Creating";

inline constexpr const char* kOriginAwsKms = "AWS_KMS";
inline constexpr const char* kOriginExternal = "EXTERNAL";

// One version of a key's material. The first is created with the key; each rotation
// appends one and makes it current. Older ones stay to decrypt older ciphertexts.
struct KeyMaterialInfo {
  std::string id;            // 64 lowercase hex (KeyMaterialId)
  int64_t created_ms = 0;    // creation or rotation date
  std::string rotation_type; // "" for the initial material, "AUTOMATIC" or "ON_DEMAND"
  // Imported material (keys of Origin EXTERNAL) only:
  bool imported = false;        // its sealed bytes are in the store (ImportState IMPORTED);
                                // false once deleted or expired (PENDING_IMPORT)
  bool pending_rotation = false;  // imported with NEW_KEY_MATERIAL, not yet made current
                                  // by RotateKeyOnDemand (KeyMaterialState PENDING_ROTATION)
  std::optional<int64_t> valid_to_ms;  // ExpirationModel KEY_MATERIAL_EXPIRES: when it expires
  std::string description;      // KeyMaterialDescription
};

struct Key {
  // The stored revision (storage/store_types.h: optimistic concurrency); 0 = not stored yet.
  int64_t revision = 0;
  std::string account;
  std::string region;
  std::string key_id;        // UUID, or "mrk-" + 32 hex for multi-Region keys
  std::string arn;           // arn:aws:kms:<region>:<account>:key/<key_id>
  int64_t created_ms = 0;
  std::string description;
  std::string key_usage;     // ENCRYPT_DECRYPT | SIGN_VERIFY | GENERATE_VERIFY_MAC
  std::string key_spec;      // SYMMETRIC_DEFAULT, RSA_2048, ..., HMAC_256, ...
  std::string key_state = kStateEnabled;
  std::string key_manager = "CUSTOMER";  // or "AWS"
  std::string origin = "AWS_KMS";
  bool multi_region = false;
  std::optional<int64_t> deletion_ms;    // set while PendingDeletion
  int pending_window_days = 0;           // set while PendingDeletion
  std::string policy;                    // the "default" key policy document
  std::map<std::string, std::string> tags;
  // Automatic rotation (symmetric keys only).
  bool rotation_enabled = false;
  int rotation_period_days = 365;
  int64_t rotation_base_ms = 0;          // next automatic rotation = base + period
  std::vector<KeyMaterialInfo> materials;  // oldest first; the last one not pending
                                           // rotation is current
  // Multi-Region keys (multi_region): the region of the primary key. Every related key (same
  // key_id in other regions of the account) holds the same value; UpdatePrimaryRegion
  // rewrites them all in one store transaction.
  std::string primary_region;

  bool enabled() const { return key_state == kStateEnabled; }
  bool aws_managed() const { return key_manager == "AWS"; }
  bool external() const { return origin == kOriginExternal; }
  bool is_replica() const { return multi_region && !primary_region.empty() && primary_region != region; }
  const KeyMaterialInfo* current_material() const {
    for (auto it = materials.rbegin(); it != materials.rend(); ++it)
      if (!it->pending_rotation) return &*it;
    return nullptr;
  }
  const KeyMaterialInfo* FindMaterial(const std::string& id) const {
    for (const auto& m : materials)
      if (m.id == id) return &m;
    return nullptr;
  }
};

struct Alias {
  std::string account;
  std::string region;
  std::string name;          // "alias/..."
  std::string target_key_id;
  int64_t created_ms = 0;
  int64_t updated_ms = 0;
};

struct Grant {
  std::string account;
  std::string region;
  std::string key_id;
  std::string grant_id;      // 64 hex
  std::string grant_token;
  std::string name;
  std::string grantee_principal;
  std::string retiring_principal;
  // The grantee / the retiring principal is an AWS service principal named in
  // GranteeServicePrincipal / RetiringServicePrincipal (the member it came from and is listed
  // as), not in GranteePrincipal / RetiringPrincipal.
  bool grantee_is_service = false;
  bool retiring_is_service = false;
  std::string issuing_account;  // arn:aws:iam::<account>:root
  std::vector<std::string> operations;
  std::map<std::string, std::string> ec_equals;   // Constraints.EncryptionContextEquals
  std::map<std::string, std::string> ec_subset;   // Constraints.EncryptionContextSubset
  // Constraints.SourceArn: the grant applies only to requests made on behalf of this
  // resource (aws:SourceArn), "" for none.
  std::string source_arn;
  bool has_constraints = false;
  int64_t created_ms = 0;
};

}  // namespace arcana::domain::kms
