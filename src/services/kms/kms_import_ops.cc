// Imported key material (BYOK, keys of Origin EXTERNAL): GetParametersForImport,
// ImportKeyMaterial, DeleteImportedKeyMaterial. Material is unwrapped in memory, checked
// against the key spec, sealed under the root key like every other material and stored;
// its expiry is evaluated lazily on every read (domain::kms::ApplyMaterialExpiry) and the
// maintenance job deletes expired material (KmsService::Maintain). Multi-Region keys: each
// related key imports the same material itself (its id names no region), with its own expiry
// and deletion; the first material and new material imported into the primary become known to
// every related key (PENDING_IMPORT there), and a sealed row goes only when no region holds it.
#include <cmath>

#include "crypto/aead.h"
#include "crypto/asymmetric.h"
#include "crypto/key_import.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
#include "services/common/write_retry.h"
#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

namespace {

constexpr int64_t kMaxValidToMs = int64_t{365} * 86400000;

Status IncorrectMaterial() {
  return Status(ErrorCode::kIncorrectKeyMaterial,
                "The key material in the request is, expired, invalid, or is not the same key "
                "material that was previously imported into this KMS key.");
}

// Whether the unwrapped material fits the key spec (AWS answers IncorrectKeyMaterial).
Status CheckMaterialFits(const Key& key, const std::string& material) {
  if (dk::IsSymmetricSpec(key.key_spec)) {
    if (material.size() != 32) return IncorrectMaterial();
  } else if (dk::IsHmacSpec(key.key_spec)) {
    auto [min, max] = dk::HmacImportLengths(key.key_spec);
    if (material.size() < min || material.size() > max) return IncorrectMaterial();
  } else if (auto spec = dk::AsymmetricSpecOf(key.key_spec)) {
    if (!crypto::PrivateKeyIsOfSpec(material, *spec)) return IncorrectMaterial();
  } else {
    return IncorrectMaterial();
  }
  return Status::Ok();
}

struct Expiration {
  std::optional<int64_t> valid_to_ms;  // nullopt: KEY_MATERIAL_DOES_NOT_EXPIRE
};

Result<Expiration> ExpirationOf(const json::Input& in, int64_t now_ms) {
  auto model = in.Str("ExpirationModel");
  auto valid_to = in.Number("ValidTo");
  Expiration out;
  if (model && *model == "KEY_MATERIAL_DOES_NOT_EXPIRE") {
    if (valid_to) {
      return Status(ErrorCode::kValidation,
                    "A validTo date must not be set if the ExpirationModel is "
                    "KEY_MATERIAL_DOES_NOT_EXPIRE.");
    }
    return out;
  }
  if (!valid_to) {
    // KEY_MATERIAL_EXPIRES, given or by default: the model's documentation says "The default
    // is KEY_MATERIAL_EXPIRES", and LocalStack's AWS-validated test_import_key_symmetric
    // recording (an import with neither ExpirationModel nor ValidTo) is this error, whose
    // text has no final period.
    return Status(ErrorCode::kValidation,
                  "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
  }
  const int64_t ms = static_cast<int64_t>(std::llround(*valid_to * 1000.0));
  if (ms <= now_ms || ms > now_ms + kMaxValidToMs) {
    return Status(ErrorCode::kValidation,
                  "The validTo date must be in the future and at most 365 days from now.");
  }
  out.valid_to_ms = ms;
  return out;
}

// The material rows of an EXTERNAL key that must not exist any more (deleted or expired).
std::vector<std::string> GoneMaterials(const Key& key) {
  std::vector<std::string> out;
  for (const auto& m : key.materials)
    if (!m.imported) out.push_back(m.id);
  return out;
}

// Removes the material waiting for RotateKeyOnDemand (if any) from the key of `write`; its row
// is a drop candidate.
void DropPendingRotation(storage::KmsKeyWrite& write) {
  auto& ms = write.key.materials;
  for (auto it = ms.begin(); it != ms.end();) {
    if (it->pending_rotation) {
      write.drop_material_ids.push_back(it->id);
      it = ms.erase(it);
    } else {
      ++it;
    }
  }
}

// Enabled again once every material permanently associated with the key is imported.
void SettleImportState(Key& key) {
  if (key.key_state == dk::kStatePendingImport && !dk::MissingImportedMaterial(key)) {
    key.key_state = dk::kStateEnabled;
  }
}

}  // namespace

Result<std::string> KmsService::GetParametersForImport(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckOriginExternal(key));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  std::string alg = in.Str("WrappingAlgorithm").value_or("");
  if (alg != "RSAES_OAEP_SHA_1" && alg != "RSAES_OAEP_SHA_256" &&
      alg != "RSA_AES_KEY_WRAP_SHA_1" && alg != "RSA_AES_KEY_WRAP_SHA_256") {
    // RSAES_PKCS1_V1_5 is no longer accepted by AWS; SM2PKE exists in China regions only.
    return Status(ErrorCode::kUnsupportedOperation,
                  "WrappingAlgorithm " + alg + " is not supported for this KMS key.");
  }
  ARCANA_ASSIGN_OR_RETURN(auto params, ring_.NewImportParameters(
                                           key, alg, in.Str("WrappingKeySpec").value_or(""),
                                           ctx.now_ms));
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    WriteBlob(w, "ImportToken", params.token);
    WriteBlob(w, "PublicKey", params.public_key);
    w.Key("ParametersValidTo");
    json::WriteTimestamp(w, params.valid_to_ms);
  });
}

Result<std::string> KmsService::ImportKeyMaterial(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(std::string token, BlobOf(in, "ImportToken"));
  ARCANA_ASSIGN_OR_RETURN(std::string encrypted, BlobOf(in, "EncryptedKeyMaterial"));
  ARCANA_ASSIGN_OR_RETURN(Expiration expiration, ExpirationOf(in, ctx.now_ms));
  const std::string import_type = in.Str("ImportType").value_or("");
  const auto wanted_id = in.Str("KeyMaterialId");
  const auto description = in.Str("KeyMaterialDescription");
  std::string material_id;
  ARCANA_ASSIGN_OR_RETURN(auto hold, ring_.HoldRoot());  // sealed material until committed
  Status st = RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckOriginExternal(key));
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
    ARCANA_ASSIGN_OR_RETURN(std::string material,
                            ring_.UnwrapImportedMaterial(key, token, encrypted, ctx.now_ms));
    Status fits = CheckMaterialFits(key, material);
    auto id = fits.ok() ? ring_.ImportedMaterialId(key, material) : Result<std::string>(fits);
    if (!id.ok()) {
      crypto::SecureWipe(material);
      return id.status();
    }
    std::vector<storage::KmsKeyWrite> writes{{key, {}, GoneMaterials(key)}};
    // Of a multi-Region key, the related keys that learn of a new material id (appended to
    // `writes` at the end: `k` and `target` point into writes.front()).
    std::vector<storage::KmsKeyWrite> related_writes;
    auto associate_with_related = [&](const dk::KeyMaterialInfo& m) -> Status {
      if (!key.multi_region) return Status::Ok();
      ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
      for (auto& other : related) {
        if (other.region == key.region) continue;
        dk::ApplyMaterialExpiry(other, ctx.now_ms);
        storage::KmsKeyWrite w{std::move(other), {}, {}};
        if (m.pending_rotation) DropPendingRotation(w);
        if (w.key.FindMaterial(m.id) == nullptr) {
          w.key.materials.push_back(m);
          w.key.materials.back().imported = false;  // each region imports it itself
        }
        related_writes.push_back(std::move(w));
      }
      return Status::Ok();
    };
    Key& k = writes.front().key;
    dk::KeyMaterialInfo* target = nullptr;
    Status associated;
    if (k.materials.empty()) {
      // The first material becomes current and permanently associated with the key (with
      // every related key of a multi-Region key: the others must import the same one).
      k.materials.push_back({*id, ctx.now_ms, ""});
      target = &k.materials.back();
      associated = associate_with_related(*target);
    } else if (import_type == "NEW_KEY_MATERIAL") {
      Status refused;
      if (!dk::IsSymmetricSpec(k.key_spec)) {
        refused = Status(ErrorCode::kUnsupportedOperation,
                         k.arn + " key spec " + k.key_spec +
                             " supports one key material only: ImportType is not valid for it.");
      } else if (k.is_replica()) {
        // AWS: new material goes into the primary Region key; replicas then import the same
        // material with EXISTING_KEY_MATERIAL.
        refused = Status(ErrorCode::kUnsupportedOperation,
                         k.arn + " is a multi-Region replica key: import new key material into "
                                 "its primary key in " + k.primary_region +
                             ", then import the same key material here with ImportType "
                             "EXISTING_KEY_MATERIAL.");
      } else if (k.FindMaterial(*id) != nullptr) {
        refused = IncorrectMaterial();
      }
      if (!refused.ok()) {
        crypto::SecureWipe(material);
        return refused;
      }
      // At most one material waits for RotateKeyOnDemand, and AWS refuses a second one
      // rather than replacing it (LocalStack's AWS-validated test_import_key_material_raises_
      // if_there_is_already_key_material_pending; the developer guide: material pending
      // rotation can be deleted, then other material imported in its place). The recording
      // of the error's code and text is not available to us: KMSInvalidStateException is
      // the key-state error AWS lists for ImportKeyMaterial.
      for (const auto& m : k.materials) {
        if (m.pending_rotation) {
          crypto::SecureWipe(material);
          return Status(ErrorCode::kKmsInvalidState,
                        k.arn + " already has key material " + m.id +
                            " pending rotation: rotate the key (RotateKeyOnDemand) or delete "
                            "that key material first.");
        }
      }
      dk::KeyMaterialInfo m{*id, ctx.now_ms, ""};
      m.pending_rotation = true;
      k.materials.push_back(m);
      target = &k.materials.back();
      associated = associate_with_related(*target);
    } else {
      // Re-import (EXISTING_KEY_MATERIAL, the default): the same material as before.
      for (auto& m : k.materials)
        if (m.id == *id) target = &m;
      if (target == nullptr || (wanted_id && *wanted_id != *id)) {
        crypto::SecureWipe(material);
        return IncorrectMaterial();
      }
    }
    if (!associated.ok()) {
      crypto::SecureWipe(material);
      return associated;
    }
    target->imported = true;
    target->valid_to_ms = expiration.valid_to_ms;
    if (description) target->description = *description;
    SettleImportState(k);
    ARCANA_ASSIGN_OR_RETURN(auto rec, ring_.SealMaterial(k, *id, std::move(material)));
    writes.front().put_materials.push_back(std::move(rec));
    for (auto& w : related_writes) writes.push_back(std::move(w));
    Status written = ring_.WriteImportedMaterials(std::move(writes), "ImportKeyMaterial",
                                                  ctx.now_ms);
    if (!written.ok()) ring_.ForgetMaterial(key.key_id, *id);
    material_id = *id;
    return written;
  });
  crypto::SecureWipe(encrypted);
  ARCANA_RETURN_IF_ERROR(st);
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.arn);
    json::KV(w, "KeyMaterialId", material_id);
  });
}

Result<std::string> KmsService::DeleteImportedKeyMaterial(const In& in, const CallContext& ctx) {
  std::string arn, material_id;
  ARCANA_RETURN_IF_ERROR(RetryOnConflict([&]() -> Status {
    ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
    ARCANA_RETURN_IF_ERROR(dk::CheckOriginExternal(key));
    // AWS: "When the specified KMS key is in the PendingDeletion state, this operation does
    // not change the KMS key's state" - it is allowed then (not pending replica deletion).
    if (key.key_state == dk::kStatePendingReplicaDeletion) {
      return dk::CheckNotPendingDeletion(key);
    }
    arn = key.arn;
    const dk::KeyMaterialInfo* current = key.current_material();
    auto wanted = in.Str("KeyMaterialId");
    if (!wanted && current == nullptr) {
      return Status(ErrorCode::kKmsInvalidState, key.arn + " is pending import.");
    }
    material_id = wanted ? *wanted : current->id;
    auto it = std::find_if(key.materials.begin(), key.materials.end(),
                           [&](const dk::KeyMaterialInfo& m) { return m.id == material_id; });
    if (it == key.materials.end()) {
      return Status(ErrorCode::kKmsNotFound,
                    "Key material " + material_id + " of " + key.arn + " does not exist.");
    }
    std::vector<storage::KmsKeyWrite> writes{{key, {}, {}}};
    Key& k = writes.front().key;
    auto& m = k.materials[static_cast<size_t>(it - key.materials.begin())];
    if (m.pending_rotation && !k.is_replica()) {
      // Not yet associated with the key: it goes entirely - from a multi-Region key's
      // replicas too (AWS: deleting the primary's material pending rotation deletes theirs).
      k.materials.erase(k.materials.begin() + (it - key.materials.begin()));
      if (k.multi_region) {
        ARCANA_ASSIGN_OR_RETURN(auto related, ring_.RelatedKeys(key));
        for (auto& other : related) {
          if (other.region == key.region) continue;
          dk::ApplyMaterialExpiry(other, ctx.now_ms);
          std::erase_if(other.materials, [&](const dk::KeyMaterialInfo& o) {
            return o.id == material_id && o.pending_rotation;
          });
          writes.push_back({std::move(other), {}, {}});
        }
      }
    } else if (m.pending_rotation) {
      // A replica's copy of the primary's next material: only this region's import goes.
      m.imported = false;
      m.valid_to_ms.reset();
    } else {
      m.imported = false;
      m.valid_to_ms.reset();
      if (k.key_state != dk::kStatePendingDeletion) k.key_state = dk::kStatePendingImport;
    }
    writes.front().drop_material_ids = GoneMaterials(writes.front().key);
    writes.front().drop_material_ids.push_back(material_id);
    // Another region of a multi-Region key may still hold the material: its row then stays.
    return ring_.WriteImportedMaterials(std::move(writes), "DeleteImportedKeyMaterial",
                                        ctx.now_ms);
  }));
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", arn);
    json::KV(w, "KeyMaterialId", material_id);
  });
}

}  // namespace arcana::services::kms
