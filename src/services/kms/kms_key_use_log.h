// When and how each KMS key was last used for a successful cryptographic operation, as
// GetKeyLastUsage reports it (storage/kms_key_usage_store.h).
//
// The KMS handlers (and the data key provider, for Secrets Manager's and Parameter Store's
// uses) note each successful operation here: noting costs a map update under a lock, never
// a store write, so Encrypt/Decrypt/GenerateDataKey stay as cheap as they were. The uses
// reach the store in batches (Flush: every `period` from Start, and at Stop;
// common/write_behind_map.h); each node
// flushes its own and the store keeps the latest of them all, so nodes may flush in any order.
// What a node loses when it dies (kill -9) is the uses since its last flush: a last use is an
// observation, not an acknowledged write (AWS itself records it up to an hour late).
// The pending map holds at most one entry per key used since the last flush, so its size is
// bounded by the keys that exist.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/write_behind_map.h"
#include "common/status.h"
#include "storage/kms_key_usage_store.h"

namespace arcana::services::kms {

class KmsKeyUseLog {
 public:
  explicit KmsKeyUseLog(storage::KmsKeyUsageStore& store,
                        std::chrono::milliseconds period = std::chrono::seconds(5));
  ~KmsKeyUseLog();  // Stop()
  KmsKeyUseLog(const KmsKeyUseLog&) = delete;
  KmsKeyUseLog& operator=(const KmsKeyUseLog&) = delete;

  // The key (account, region, key id) served `operation` successfully at now_ms, for the
  // call `request_id` whose audit record is `event_id` (both "" outside an API call). A use
  // older than the one noted is ignored; one as old replaces it (the later call wins).
  void Note(const std::string& account, const std::string& region, const std::string& key_id,
            int64_t now_ms, std::string_view operation, std::string_view request_id,
            std::string_view event_id);
  // This node's latest use of the key that the store may not have yet.
  std::optional<storage::KmsKeyUse> Pending(const storage::Scope& scope,
                                            const std::string& key_id) const;
  // What the store has for the key, with this node's own unflushed use when that is later:
  // a use just made here shows at once; another node's shows once that node flushed.
  Result<storage::KmsKeyUsage> Read(const storage::Scope& scope, const std::string& key_id);
  // Hands the pending uses to the store. On failure they stay pending (a newer use noted
  // meanwhile wins) and the next flush tries again.
  Status Flush();

  // Flushes every `period` on a thread of its own until Stop().
  void Start();
  // Ends the thread (if started) and flushes what is pending. Idempotent.
  void Stop();

 private:
  using UseMap = WriteBehindMap<storage::KmsKeyUse>::Map;
  // The map key of a key: account, region and key id (a multi-Region key's regions apart).
  static void MapKeyOf(std::string& into, std::string_view account, std::string_view region,
                       std::string_view key_id);
  // Keeps the later of `use` and what `into` holds for its key.
  static void KeepLater(UseMap& into, storage::KmsKeyUse use);

  storage::KmsKeyUsageStore& store_;
  WriteBehindMap<storage::KmsKeyUse> uses_;
};

}  // namespace arcana::services::kms
