// Imported key material (BYOK, keys of Origin EXTERNAL): GetParametersForImport,
// ImportKeyMaterial, DeleteImportedKeyMaterial. Material is unwrapped in memory, checked
// against the key spec, sealed under the root key like every other material and stored;
// its expiry is evaluated lazily on every read (domain::kms::ApplyMaterialExpiry) and the
// maintenance job deletes expired material (KmsService::Maintain).
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
    if (model) {  // KEY_MATERIAL_EXPIRES
      return Status(ErrorCode::kValidation,
                    "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES.");
    }
    return out;  // neither: the material does not expire
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

// Enabled again once every material permanently associated with the key is imported.
void SettleImportState(Key& key) {
  if (key.key_state != dk::kStatePendingImport) return;
  for (const auto& m : key.materials)
    if (!m.pending_rotation && !m.imported) return;
  if (key.current_material() != nullptr) key.key_state = dk::kStateEnabled;
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
    storage::KmsKeyWrite write{key, {}, GoneMaterials(key)};
    Key& k = write.key;
    dk::KeyMaterialInfo* target = nullptr;
    if (k.materials.empty()) {
      // The first material becomes current and permanently associated with the key.
      k.materials.push_back({*id, ctx.now_ms, ""});
      target = &k.materials.back();
    } else if (import_type == "NEW_KEY_MATERIAL") {
      if (!dk::IsSymmetricSpec(k.key_spec)) {
        crypto::SecureWipe(material);
        return Status(ErrorCode::kUnsupportedOperation,
                      k.arn + " key spec " + k.key_spec +
                          " supports one key material only: ImportType is not valid for it.");
      }
      if (k.FindMaterial(*id) != nullptr) {
        crypto::SecureWipe(material);
        return IncorrectMaterial();
      }
      // At most one material waits for RotateKeyOnDemand: a new one replaces it.
      for (auto it = k.materials.begin(); it != k.materials.end();) {
        if (it->pending_rotation) {
          write.drop_material_ids.push_back(it->id);
          it = k.materials.erase(it);
        } else {
          ++it;
        }
      }
      dk::KeyMaterialInfo m{*id, ctx.now_ms, ""};
      m.pending_rotation = true;
      k.materials.push_back(m);
      target = &k.materials.back();
    } else {
      // Re-import (EXISTING_KEY_MATERIAL, the default): the same material as before.
      for (auto& m : k.materials)
        if (m.id == *id) target = &m;
      if (target == nullptr || (wanted_id && *wanted_id != *id)) {
        crypto::SecureWipe(material);
        return IncorrectMaterial();
      }
    }
    target->imported = true;
    target->valid_to_ms = expiration.valid_to_ms;
    if (description) target->description = *description;
    std::erase(write.drop_material_ids, *id);
    SettleImportState(k);
    ARCANA_ASSIGN_OR_RETURN(auto rec, ring_.SealMaterial(k, *id, std::move(material)));
    write.put_materials.push_back(std::move(rec));
    Status written = ring_.store().WriteKmsKeys({write}, "ImportKeyMaterial");
    if (!written.ok()) ring_.ForgetMaterial(k.key_id, *id);
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
    ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
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
    storage::KmsKeyWrite write{key, {}, {}};
    Key& k = write.key;
    auto& m = k.materials[static_cast<size_t>(it - key.materials.begin())];
    if (m.pending_rotation) {
      // Not yet associated with the key: it goes entirely.
      k.materials.erase(k.materials.begin() + (it - key.materials.begin()));
    } else {
      m.imported = false;
      m.valid_to_ms.reset();
      if (k.key_state != dk::kStatePendingDeletion) k.key_state = dk::kStatePendingImport;
    }
    write.drop_material_ids = GoneMaterials(k);
    write.drop_material_ids.push_back(material_id);
    ARCANA_RETURN_IF_ERROR(ring_.store().WriteKmsKeys({write}, "DeleteImportedKeyMaterial"));
    ring_.ForgetMaterial(k.key_id, material_id);
    return Status::Ok();
  }));
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", arn);
    json::KV(w, "KeyMaterialId", material_id);
  });
}

}  // namespace arcana::services::kms
