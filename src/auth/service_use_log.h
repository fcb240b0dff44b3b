// When each IAM user and role last called each service (and each of its actions), as IAM's
// last accessed information (access advisor: GenerateServiceLastAccessedDetails) reports it.
//
// The authenticate stage notes every call that authenticated as a user (its long-term key or
// a GetSessionToken session of it) or as a session of a role (counted for the role), whatever
// the authorization decides after (AWS reports attempts, denied ones too). Noting costs a map
// update under a lock, never a store write, so it does not slow the call. The uses reach the
// store in batches (Flush: every `period` from Start, and at Stop; common/write_behind_map.h);
// each node flushes its own and the store keeps the latest of them all
// (IdentityStore::RecordServiceUses), so nodes may flush in any order and agree once each has
// flushed.
// What a node loses when it dies is the uses since its last flush: a last access is an
// observation, not an acknowledged write (AWS itself reports it up to four hours late).
// The pending map holds at most one entry per (entity, service, action) used since the last
// flush; only identities that authenticated get here, calling operations that a service
// models, so its size is bounded by what exists.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "auth/principal.h"
#include "common/write_behind_map.h"
#include "common/status.h"
#include "storage/identity_store.h"

namespace arcana::auth {

// The IAM entity (unique id) a call's use counts for: a user's id for its keys and its
// GetSessionToken sessions, a role's id for its sessions; "" for the account root, a
// federated user (GetFederationToken), a service or a web identity, which are no IAM user or
// role.
std::string_view ServiceUseEntity(const Principal& p);

class ServiceUseLog {
 public:
  explicit ServiceUseLog(storage::IdentityStore& store,
                         std::chrono::milliseconds period = std::chrono::seconds(5));
  ~ServiceUseLog();  // Stop()
  ServiceUseLog(const ServiceUseLog&) = delete;
  ServiceUseLog& operator=(const ServiceUseLog&) = delete;

  // `p` called `action` of `service` (its namespace) in `region` at now_ms. Nothing is noted
  // for a principal without an entity (ServiceUseEntity). A use older than the one noted is
  // ignored.
  void Note(const Principal& p, std::string_view service, std::string_view action,
            std::string_view region, int64_t now_ms);
  // This node's uses of the entities (unique ids) of the account that the store may not have
  // yet (noted, or in a flush under way).
  std::vector<storage::ServiceUse> Pending(const std::string& account,
                                           const std::vector<std::string>& entity_ids) const;
  // Hands the pending uses to the store. On failure they stay pending (a newer use noted
  // meanwhile wins) and the next flush tries again.
  Status Flush();

  // Flushes every `period` on a thread of its own until Stop().
  void Start();
  // Ends the thread (if started) and flushes what is pending. Idempotent.
  void Stop();

 private:
  using UseMap = WriteBehindMap<storage::ServiceUse>::Map;
  // The map key of a use: account, entity, service and action, NUL-separated (none holds NUL).
  static void MapKeyOf(std::string& into, std::string_view account, std::string_view entity,
                       std::string_view service, std::string_view action);
  // Keeps the later of `use` and what `into` holds for its key.
  static void KeepLater(UseMap& into, storage::ServiceUse use);

  WriteBehindMap<storage::ServiceUse> uses_;
};

}  // namespace arcana::auth
