// Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
// RotateKeyOnDemand, ListKeyRotations. Only symmetric encryption keys rotate; every
// material stays, so older ciphertexts still decrypt.
#include <cstdio>

#include "domain/kms/rules.h"
#include "domain/kms/specs.h"
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
}  // namespace

Result<std::string> KmsService::SetRotation(const In& in, const CallContext& ctx, bool enabled) {
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, enabled ? "EnableKeyRotation"
                                                               : "DisableKeyRotation"));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(CheckRotatable(key));
  if (enabled) {
    if (!key.rotation_enabled) key.rotation_base_ms = ctx.now_ms;
    key.rotation_period_days =
        static_cast<int>(in.Int("RotationPeriodInDays").value_or(dk::kDefaultRotationPeriodDays));
  }
  key.rotation_enabled = enabled;
  ARCANA_RETURN_IF_ERROR(
      ring_.store().PutKmsKey(key, {}, enabled ? "EnableKeyRotation" : "DisableKeyRotation"));
  return std::string("{}");
}

Result<std::string> KmsService::EnableKeyRotation(const In& in, const CallContext& ctx) {
  return SetRotation(in, ctx, true);
}
Result<std::string> KmsService::DisableKeyRotation(const In& in, const CallContext& ctx) {
  return SetRotation(in, ctx, false);
}

Result<std::string> KmsService::GetKeyRotationStatus(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckNotPendingDeletion(key));
  ARCANA_RETURN_IF_ERROR(CheckRotatable(key));
  return Body([&](json::Writer& w) {
    w.Key("KeyRotationEnabled");
    w.Bool(key.rotation_enabled);
    json::KV(w, "KeyId", key.arn);
    if (key.rotation_enabled) {
      w.Key("RotationPeriodInDays");
      w.Int(key.rotation_period_days);
      w.Key("NextRotationDate");
      json::WriteTimestamp(w, key.rotation_base_ms + int64_t{key.rotation_period_days} * 86400000);
    }
  });
}

Result<std::string> KmsService::RotateKeyOnDemand(const In& in, const CallContext& ctx) {
  std::lock_guard<std::mutex> l(ring_.write_mutex());
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  ARCANA_RETURN_IF_ERROR(dk::CheckCustomerManaged(key, "RotateKeyOnDemand"));
  ARCANA_RETURN_IF_ERROR(dk::CheckUsable(key));
  ARCANA_RETURN_IF_ERROR(CheckRotatable(key));
  int on_demand = 0;
  for (const auto& m : key.materials) on_demand += m.rotation_type == "ON_DEMAND";
  if (on_demand >= dk::kMaxOnDemandRotations) {
    return Status(ErrorCode::kKmsLimitExceeded,
                  key.arn + " has reached the maximum number of on-demand rotations (25).");
  }
  ARCANA_RETURN_IF_ERROR(ring_.Rotate(key, "ON_DEMAND", ctx.now_ms));
  return Body([&](json::Writer& w) { json::KV(w, "KeyId", key.key_id); });
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
  for (size_t i = 0; i < key.materials.size(); ++i) {
    if (!all && key.materials[i].rotation_type.empty()) continue;
    char pos[16];
    std::snprintf(pos, sizeof pos, "%08zu", i);
    rows.push_back({pos, &key.materials[i], i + 1 == key.materials.size()});
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
      json::KV(w, "KeyMaterialState", r.current ? "CURRENT" : "NON_CURRENT");
      w.Key("RotationDate");
      json::WriteTimestamp(w, r.m->created_ms);
      if (!r.m->rotation_type.empty()) json::KV(w, "RotationType", r.m->rotation_type);
      w.EndObject();
    }
    w.EndArray();
    WritePageEnd(w, next);
  });
}

}  // namespace arcana::services::kms
