// GetKeyLastUsage: a key's last successful cryptographic operation (noted by the crypto
// handlers and the data key provider in kms_key_use_log.h) and since when Arcana tracks it.
#include <algorithm>

#include "services/kms/kms_encode.h"
#include "services/kms/kms_service.h"

namespace arcana::services::kms {

Result<std::string> KmsService::GetKeyLastUsage(const In& in, const CallContext& ctx) {
  // Key id or key ARN only: an alias is InvalidArnException (dk::AliasNotSupported), as for
  // the other operations AWS documents with "Alias names are not supported". Any key state answers
  // (the operation lists no KMSInvalidStateException).
  ARCANA_ASSIGN_OR_RETURN(Key key, ManagedKeyFor(in, "KeyId", ctx));
  if (key_uses_ == nullptr) {
    return Status(ErrorCode::kUnsupportedOperation,
                  "GetKeyLastUsage is not supported by this server.");
  }
  ARCANA_ASSIGN_OR_RETURN(storage::KmsKeyUsage usage,
                          key_uses_->Read({key.account, key.region}, key.key_id));
  // AWS: "the date from which KMS began recording cryptographic activity for this key, or
  // the date the KMS key was created, whichever is later".
  const int64_t tracking_start_ms = std::max(key.created_ms, usage.tracking_since_ms);
  return Body([&](json::Writer& w) {
    json::KV(w, "KeyId", key.key_id);
    w.Key("KeyCreationDate");
    json::WriteTimestamp(w, key.created_ms);
    w.Key("TrackingStartDate");
    json::WriteTimestamp(w, tracking_start_ms);
    // Never used since tracking began: an empty object, as AWS answers.
    w.Key("KeyLastUsage");
    w.StartObject();
    if (usage.last) {
      json::KV(w, "Operation", usage.last->operation);
      w.Key("Timestamp");
      json::WriteTimestamp(w, usage.last->when_ms);
      if (!usage.last->request_id.empty()) json::KV(w, "KmsRequestId", usage.last->request_id);
      if (!usage.last->event_id.empty()) json::KV(w, "CloudTrailEventId", usage.last->event_id);
    }
    w.EndObject();
  });
}

}  // namespace arcana::services::kms
