// When and where each IAM user access key was last used, as GetAccessKeyLastUsed reports it.
//
// The authenticate stage notes every request a user's long-term key signs; noting costs a
// map update under a lock, never a store write, so a key's use does not slow its request.
// The uses reach the store in batches (Flush: every `period` from Start, and at Stop;
// common/write_behind_map.h). Each
// node flushes its own uses and the store keeps the latest of them all
// (IdentityStore::RecordAccessKeyUses), so nodes may flush in any order.
// What a node loses when it dies is the uses since its last flush: a last-used date is an
// observation, not an acknowledged write (AWS itself reports it up to hours late).
// The pending map holds at most one entry per key used since the last flush; only keys that
// authenticated get here, so its size is bounded by the keys that exist.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/write_behind_map.h"
#include "common/status.h"
#include "storage/identity_store.h"

namespace arcana::auth {

class KeyUseLog {
 public:
  explicit KeyUseLog(storage::IdentityStore& store,
                     std::chrono::milliseconds period = std::chrono::seconds(5));
  ~KeyUseLog();  // Stop()
  KeyUseLog(const KeyUseLog&) = delete;
  KeyUseLog& operator=(const KeyUseLog&) = delete;

  // A request signed with `access_key_id` authenticated at now_ms, for `service` (the
  // signing name) in `region`. A use older than the one noted is ignored.
  void Note(std::string_view access_key_id, int64_t now_ms, std::string_view service,
            std::string_view region);
  // This node's latest use of the key that the store may not have yet.
  std::optional<storage::AccessKeyUse> Pending(const std::string& access_key_id) const;
  // Hands the pending uses to the store. On failure they stay pending (a newer use noted
  // meanwhile wins) and the next flush tries again.
  Status Flush();

  // Flushes every `period` on a thread of its own until Stop().
  void Start();
  // Ends the thread (if started) and flushes what is pending. Idempotent.
  void Stop();

 private:
  using UseMap = WriteBehindMap<storage::AccessKeyUse>::Map;
  // Keeps the later of `use` and what `into` holds for its key.
  static void Merge(UseMap& into, storage::AccessKeyUse use);

  WriteBehindMap<storage::AccessKeyUse> uses_;
};

}  // namespace arcana::auth
