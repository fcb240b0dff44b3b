#include "services/kms/kms_encode.h"

#include "crypto/base64.h"
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

void WriteKeyMetadata(json::Writer& w, const dk::Key& k) {
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
    w.Key("PendingDeletionWindowInDays");
    w.Int(k.pending_window_days);
  }
  json::KV(w, "Origin", k.origin);
  json::KV(w, "KeyManager", k.key_manager);
  json::KV(w, "CustomerMasterKeySpec", k.key_spec);
  json::KV(w, "KeySpec", k.key_spec);
  auto enc = dk::EncryptionAlgorithmsFor(k.key_spec, k.key_usage);
  if (!enc.empty()) {
    w.Key("EncryptionAlgorithms");
    json::WriteStringList(w, enc);
  }
  auto sig = dk::SigningAlgorithmsFor(k.key_spec, k.key_usage);
  if (!sig.empty()) {
    w.Key("SigningAlgorithms");
    json::WriteStringList(w, sig);
  }
  auto mac = dk::MacAlgorithmsFor(k.key_spec, k.key_usage);
  if (!mac.empty()) {
    w.Key("MacAlgorithms");
    json::WriteStringList(w, mac);
  }
  w.Key("MultiRegion");
  w.Bool(k.multi_region);
  if (k.multi_region) {
    w.Key("MultiRegionConfiguration");
    w.StartObject();
    json::KV(w, "MultiRegionKeyType", "PRIMARY");
    w.Key("PrimaryKey");
    w.StartObject();
    json::KV(w, "Arn", k.arn);
    json::KV(w, "Region", k.region);
    w.EndObject();
    w.Key("ReplicaKeys");
    w.StartArray();
    w.EndArray();
    w.EndObject();
  }
  if (dk::IsSymmetricSpec(k.key_spec) && k.current_material()) {
    json::KV(w, "CurrentKeyMaterialId", k.current_material()->id);
  }
  w.EndObject();
}

}  // namespace arcana::services::kms
