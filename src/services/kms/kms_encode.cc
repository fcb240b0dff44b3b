#include "services/kms/kms_encode.h"

#include "crypto/base64.h"
#include "domain/kms/rules.h"
#include "domain/kms/specs.h"

namespace arcana::services::kms {

namespace dk = domain::kms;

void WriteBlob(json::Writer& w, const char* name, std::string_view raw) {
  json::KV(w, name, crypto::Base64Encode(raw));
}

void WritePageEnd(json::Writer& w, const std::string& next_marker) {
  if (!next_marker.empty()) json::KV(w, "NextMarker", next_marker);
  w.Key("Truncated");
  w.Bool(!next_marker.empty());
}

void WriteAlgorithmLists(json::Writer& w, const dk::Key& k) {
  auto list = [&](const char* name, const std::vector<std::string>& algs) {
    if (algs.empty()) return;
    w.Key(name);
    json::WriteStringList(w, algs);
  };
  list("EncryptionAlgorithms", dk::EncryptionAlgorithmsFor(k.key_spec, k.key_usage));
  list("SigningAlgorithms", dk::SigningAlgorithmsFor(k.key_spec, k.key_usage));
  list("MacAlgorithms", dk::MacAlgorithmsFor(k.key_spec, k.key_usage));
  list("KeyAgreementAlgorithms", dk::KeyAgreementAlgorithmsFor(k.key_spec, k.key_usage));
}

namespace {
void WriteMultiRegionKey(json::Writer& w, const std::string& arn, const std::string& region) {
  w.StartObject();
  json::KV(w, "Arn", arn);
  json::KV(w, "Region", region);
  w.EndObject();
}
}  // namespace

void WriteKeyMetadata(json::Writer& w, const dk::Key& k, const std::vector<dk::Key>& related) {
  w.StartObject();
  json::KV(w, "AWSAccountId", k.account);
  json::KV(w, "KeyId", k.key_id);
  json::KV(w, "Arn", k.arn);
  w.Key("CreationDate");
  json::WriteTimestamp(w, k.created_ms);
  w.Key("Enabled");
  w.Bool(k.enabled());
  json::KV(w, "Description", k.description);
  json::KV(w, "KeyUsage", k.key_usage);
  json::KV(w, "KeyState", k.key_state);
  if (k.deletion_ms) {
    w.Key("DeletionDate");
    json::WriteTimestamp(w, *k.deletion_ms);
  }
  if (k.deletion_ms || k.key_state == dk::kStatePendingReplicaDeletion) {
    w.Key("PendingDeletionWindowInDays");
    w.Int(k.pending_window_days);
  }
  json::KV(w, "Origin", k.origin);
  json::KV(w, "KeyManager", k.key_manager);
  if (dk::HasCustomerMasterKeySpec(k.key_spec)) json::KV(w, "CustomerMasterKeySpec", k.key_spec);
  json::KV(w, "KeySpec", k.key_spec);
  WriteAlgorithmLists(w, k);
  if (k.external()) {
    const auto* m = k.current_material();
    if (m != nullptr && m->imported) {
      json::KV(w, "ExpirationModel",
               m->valid_to_ms ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE");
      if (m->valid_to_ms) {
        w.Key("ValidTo");
        json::WriteTimestamp(w, *m->valid_to_ms);
      }
    }
  }
  w.Key("MultiRegion");
  w.Bool(k.multi_region);
  if (k.multi_region) {
    const std::string primary_region = k.primary_region.empty() ? k.region : k.primary_region;
    w.Key("MultiRegionConfiguration");
    w.StartObject();
    json::KV(w, "MultiRegionKeyType", primary_region == k.region ? "PRIMARY" : "REPLICA");
    const dk::Key* primary = primary_region == k.region ? &k : nullptr;
    for (const auto& r : related)
      if (r.region == primary_region) primary = &r;
    w.Key("PrimaryKey");
    // Without the related keys (CreateKey), the ARN follows from the primary's region.
    WriteMultiRegionKey(w, primary != nullptr ? primary->arn : dk::KeyArn(primary_region, k.account, k.key_id),
                        primary_region);
    w.Key("ReplicaKeys");
    w.StartArray();
    for (const auto& r : related)
      if (r.region != primary_region) WriteMultiRegionKey(w, r.arn, r.region);
    w.EndArray();
    w.EndObject();
  }
  if (const auto* m = k.current_material();
      m != nullptr && dk::IsSymmetricSpec(k.key_spec) && (!k.external() || m->imported)) {
    json::KV(w, "CurrentKeyMaterialId", m->id);
  }
  w.EndObject();
}

}  // namespace arcana::services::kms
