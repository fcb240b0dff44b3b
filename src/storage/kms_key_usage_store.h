// Where each KMS key was last used for a successful cryptographic operation (KMS
// GetKeyLastUsage), per account, region and key id: a multi-Region key's primary and replicas
// are tracked independently, as AWS tracks them.
//
// Uses reach the store in batches from each node's in-memory log (services/kms/
// kms_key_use_log.h), never one write per call; the store keeps, per key, the latest use of
// every node's batches (by time: nodes may flush in any order). Recording a use appends no
// Change row and leaves the key's revision alone, so the nodes' cached keys stay cached.
// A use of a key that no longer exists is dropped; deleting a key (DeleteKmsKey) or wiping
// KMS (WipeKms) drops its use with it.
//
// Tracking began when the schema step that added it first ran on the store (its database's
// clock at that moment, kept in the store): a key created before then reports that date as
// its TrackingStartDate, a later one its creation date.
// Schema: the "kms" component's migrations (sqlite/kms_store.cc step 4, postgres/
// pg_kms_store.cc step 2). Thread-safety: as every store component (store_types.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

// One successful cryptographic operation with a key.
struct KmsKeyUse {
  std::string account;
  std::string region;
  std::string key_id;
  int64_t when_ms = 0;
  std::string operation;   // GetKeyLastUsage's Operation: "Encrypt", "Decrypt", "Sign", ...
  std::string request_id;  // the call's x-amzn-RequestId ("" for a use outside an API call)
  std::string event_id;    // the eventID of the call's audit record ("" likewise)
};

struct KmsKeyUsage {
  // When this store began tracking uses (not the key's creation: the caller takes the later).
  int64_t tracking_since_ms = 0;
  std::optional<KmsKeyUse> last;  // none since tracking began
};

class KmsKeyUsageStore {
 public:
  virtual ~KmsKeyUsageStore() = default;

  // For each use, keeps it if it is later than what is stored for its key (a tie keeps the
  // stored one), in one transaction. Uses of keys that do not exist are ignored.
  virtual Status RecordKmsKeyUses(const std::vector<KmsKeyUse>& uses) = 0;
  // The key's latest recorded use and the tracking start (the key need not exist).
  virtual Result<KmsKeyUsage> GetKmsKeyUsage(const Scope& scope, const std::string& key_id) = 0;
};

}  // namespace arcana::storage
