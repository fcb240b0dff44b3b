// Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations. Only symmetric encryption keys rotate; every
// material stays, so older ciphertexts still decrypt.
#include <algorithm>
#include <cstdio>

#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {
Status CheckRotatable(const Key& key) {
  if (!dk::IsSymmetricSpec(key.key_spec)) {
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " key spec " + key.key_spec +
                      " does not support rotation: only symmetric encryption keys rotate.");
  }
  return Status::Ok();
}

// Key material is a shared property of multi-Region keys: only the primary rotates it.
Status CheckNotReplica(const Key& key) {
  if (key.is_replica()) {
    return Status(ErrorCode::kUnsupportedOperation,
                  key.arn + " is a multi-Region replica key: rotate its primary key in " +
                      key.primary_region + ".");
  }
  return Status::Ok();
}
}  // namespace

Result<std::string> KmsService::SetRotation(const In& in, const CallContext& ctx, bool enabled) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, enabled ? "EnableKeyRotation"
                                                                 : "DisableKeyRotation"));
    // Imported key material does not rotate automatically (RotateKeyOnDemand rotates it).
    // Before the key state: an EXTERNAL key awaiting its material (PendingImport) gets this
    // answer too, as on AWS, not KMSInvalidStateException.
    if (key.external()) return dk::OriginNotValid(key);
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
    // An asymmetric or HMAC key: UnsupportedOperationException with no message at all, as AWS
    // answers EnableKeyRotation for an ECC_SECG_P256K1 key (CLI output recorded 2026-10 in
    // hardhat-kms's key rotation guide) and RotateKeyOnDemand (below).
    if (!dk::IsSymmetricSpec(key.key_spec)) return Status(ErrorCode::kUnsupportedOperation, "");
    ARCANA_RETURN_IF_ERROR(CheckNotReplica(key));
    if (enabled) {
      if (!key.rotation_enabled) key.rotation_base_ms = ctx.now_ms;
      key.rotation_period_days =
          static_cast<int>(in.Int("RotationPeriodInDays").value_or(dk::kDefaultRotationPeriodDays));
    }
    key.rotation_enabled = enabled;
    ARCANA_RETURN_IF_ERROR(ring_.store().PutKmsKey(
        key, {}, enabled ? "EnableKeyRotation" : "DisableKeyRotation"));
    return std::string("{}");
  });
}

Result<std::string> KmsService::EnableKeyRotation(const In& in, const CallContext& ctx) {
  return SetRotation(in, ctx, true);
}
Result<std::string> KmsService::DisableKeyRotation(const In& in, const CallContext& ctx) {
  return SetRotation(in, ctx, false);
}

Result<std::string> KmsService::GetKeyRotationStatus(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  // Automatic rotation is a shared property of multi-Region keys, set on the primary (which
  // alone rotates the shared material): a replica answers the primary's settings.
  const Key* settings = &key;
  std::vector<Key> related;
  if (key.is_replica()) {
    ARCANA_ASSIGN_OR_RETURN(related, ring_.RelatedKeys(key));
    for (const auto& k : related) {
      if (k.region == key.primary_region) settings = &k;
    }
  }
  // AWS: "While a KMS key is pending deletion, its key rotation status is false and KMS does
  // not rotate the key material. If you cancel the deletion, the original key rotation status
  // returns to true." The stored flag stays for CancelKeyDeletion; the answer says false.
  // Asymmetric and HMAC keys answer too, never rotating: "The key rotation status of these KMS
  // keys is always false" (GetKeyRotationStatus API reference; Terraform's aws_kms_key reads
  // it for every AWS_KMS key, asymmetric ones included).
  const bool rotating = settings->rotation_enabled && dk::IsSymmetricSpec(key.key_spec) &&
                        key.key_state != dk::kStatePendingDeletion &&
                        key.key_state != dk::kStatePendingReplicaDeletion;
  return Body([&](json::Writer& w) {
    w.Key("KeyRotationEnabled");
    w.Bool(rotating);
    json::KV(w, "KeyId", key.arn);
    if (rotating) {
      w.Key("RotationPeriodInDays");
      w.Int(settings->rotation_period_days);
      w.Key("NextRotationDate");
      json::WriteTimestamp(w, settings->rotation_base_ms +
                                  int64_t{settings->rotation_period_days} * 86400000);
    }
  });
}

Result<std::string> KmsService::RotateKeyOnDemand(const In& in, const CallContext& ctx) {
  return RetryOnConflict([&]() -> Result<std::string> {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "RotateKeyOnDemand"));
    ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
    // AWS answers an asymmetric or HMAC key with an UnsupportedOperationException that has
    // no message at all (LocalStack's AWS-validated test_rotate_key_on_demand_raises_error_
    // given_non_symmetric_key recording), after the key state checks above.
    if (!dk::IsSymmetricSpec(key.key_spec)) return Status(ErrorCode::kUnsupportedOperation, "");
    ARCANA_RETURN_IF_ERROR(CheckNotReplica(key));
    int on_demand = 0;
    for (const auto& m : key.materials) on_demand += m.rotation_type == "ON_DEMAND";
    if (on_demand >= dk::kMaxOnDemandRotations) {
      // AWS's wording (test_key_rotations_limits recording).
      return Status(ErrorCode::kKmsLimitExceeded,
                    "The on-demand rotations limit has been reached for the given keyId. No more "
                    "on-demand rotations can be performed for this key: " + key.arn);
    }
    if (key.external()) {
      // Imported material rotates to the material imported with NEW_KEY_MATERIAL - for a
      // multi-Region key, once every replica imported it too (AWS), and in all of them.
      auto pending = std::find_if(key.materials.begin(), key.materials.end(),
                                  [](const dk::KeyMaterialInfo& m) { return m.pending_rotation; });
      if (pending == key.materials.end() || !pending->imported) {
        return Status(ErrorCode::kKmsInvalidState,
                      key.arn + " has no key material pending rotation: import new key "
                                "material (ImportType NEW_KEY_MATERIAL) first.");
      }
      std::vector<storage::KmsKeyWrite> writes;
      ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
      for (auto& k : related) {
        if (k.region == key.region) k = key;  // as read (and expiry-checked) above
        dk::ApplyMaterialExpiry(k, ctx.now_ms);
      }
      if (auto lacking = dk::RegionLackingImport(related, pending->id)) {
        return Status(ErrorCode::kKmsInvalidState,
                      key.arn + " cannot rotate yet: key material " + pending->id +
                          " pending rotation is not imported into the replica key in " +
                          *lacking + " (ImportType EXISTING_KEY_MATERIAL).");
      }
      for (auto& k : related) {
        dk::PromotePendingMaterial(k, ctx.now_ms);
        writes.push_back({std::move(k), {}, {}});
      }
      ARCANA_RETURN_IF_ERROR(ring_.store().WriteKmsKeys(writes, "RotateKeyOnDemand"));
    } else {
      ARCANA_RETURN_IF_ERROR(ring_.Rotate(key, "ON_DEMAND", ctx.now_ms));
    }
    // The key ARN, as AWS answers (test_rotate_on_demand_returns_arn_for_key_id recording).
    return Body([&](json::Writer& w) { json::KV(w, "KeyId", key.arn); });
  });
}

Result<std::string> KmsService::ListKeyRotations(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  ARCANA_RETURN_IF_ERROR(CheckRotatable(key));
  bool all = in.Str("IncludeKeyMaterial").value_or("ROTATIONS_ONLY") == "ALL_KEY_MATERIAL";
  struct Row {
    std::string pos;  // zero-padded index: the page order
    const dk::KeyMaterialInfo* m;
    bool current;
  };
  std::vector<Row> rows;
  const dk::KeyMaterialInfo* current = key.current_material();
  // A multi-Region key's next material waits for every related key to import it.
  std::optional<std::string> lacking_region;
  for (const auto& m : key.materials) {
    if (!m.pending_rotation || !key.multi_region || !key.external()) continue;
    ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
    for (auto& k : related) dk::ApplyMaterialExpiry(k, ctx.now_ms);
    lacking_region = dk::RegionLackingImport(related, m.id);
  }
  for (size_t i = 0; i < key.materials.size(); ++i) {
    if (!all && key.materials[i].rotation_type.empty()) continue;
    char pos[16];
    std::snprintf(pos, sizeof pos, "%08zu", i);
    rows.push_back({pos, &key.materials[i], &key.materials[i] == current});
  }
  std::string next;
  ARCANA_ASSIGN_OR_RETURN(auto page, dk::Page(rows, [](const Row& r) { return r.pos; },
                                              in.Int("Limit"), in.Str("Marker"), 100, &next));
  return Body([&](json::Writer& w) {
    w.Key("Rotations");
    w.StartArray();
    for (const auto& r : page) {
      w.StartObject();
      json::KV(w, "KeyId", key.key_id);
      json::KV(w, "KeyMaterialId", r.m->id);
      json::KV(w, "KeyMaterialState",
               r.m->pending_rotation
                   ? (lacking_region ? "PENDING_MULTI_REGION_IMPORT_AND_ROTATION"
                                     : "PENDING_ROTATION")
                   : r.current ? "CURRENT"
                               : "NON_CURRENT");
      if (!r.m->pending_rotation) {
        w.Key("RotationDate");
        json::WriteTimestamp(w, r.m->created_ms);
      }
      if (!r.m->rotation_type.empty()) json::KV(w, "RotationType", r.m->rotation_type);
      if (key.external()) {
        json::KV(w, "ImportState", r.m->imported ? "IMPORTED" : "PENDING_IMPORT");
        json::KV(w, "ExpirationModel", r.m->valid_to_ms ? "KEY_MATERIAL_EXPIRES"
                                                        : "KEY_MATERIAL_DOES_NOT_EXPIRE");
        if (r.m->valid_to_ms) {
          w.Key("ValidTo");
          json::WriteTimestamp(w, *r.m->valid_to_ms);
        }
        if (!r.m->description.empty()) json::KV(w, "KeyMaterialDescription", r.m->description);
      }
      w.EndObject();
    }
    w.EndArray();
    WritePageEnd(w, next);
  });
}

}  // namespace arcana::services::kms
