// The durable side of event delivery (events/delivery.h) and of the cluster-wide detection
// counters (events/detections.h). See store_types.h for the shared contract.
//
// Deliveries: one row per (event, matched target) still to deliver, or dead-lettered. A row
// is written when an event matched a target (never for events that matched nothing), before
// the first attempt, so a delivery survives kill -9 and the death of its node. A pending row
// carries a lease (owner, lease_until_ms), as jobs do (job_store.h): only the owner attempts
// it while the lease runs; any node may claim a due row whose lease is free or expired
// (ClaimDueDeliveries: one atomic conditional update, so one node holds a row at a time).
// Delivered rows are deleted; dead-lettered ones stay (dead = true) until TrimDeliveries
// removes them. A row's body is the event as matched: a redacted audit record (no secret
// value) or the target's constant Input.
//
// Denial counters: access-denied answers per principal, in buckets of bucket_ms keyed by
// (principal, bucket start), so that nodes behind one load balancer count one burst together.
// Writes do not append Change rows: nothing is cached from these tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

struct EventDelivery {
  // Unique; ordered by creation: "<created_ms, 16 digits>-<16 hex random>" (NewDeliveryId).
  std::string id;
  std::string account;     // the rule's scope
  std::string region;
  std::string rule_arn;
  std::string target_id;
  std::string url;         // the HTTP(S) target
  std::string body;        // the event JSON or the target's Input
  int max_retries = 3;     // the target's RetryPolicy when the event matched
  std::optional<int64_t> max_age_ms;
  int64_t created_ms = 0;
  int64_t next_attempt_ms = 0;  // pending: due at
  int attempts = 0;
  std::string last_error;
  bool dead = false;            // dead-lettered: retries or age ran out
  int64_t finished_ms = 0;      // dead: when
};

// What an attempt under a held lease came to.
struct DeliveryOutcome {
  enum class Kind { kDelivered, kRetry, kDead };
  std::string id;
  Kind kind = Kind::kDelivered;
  int attempts = 0;         // kRetry, kDead: attempts made so far
  std::string error;        // kRetry, kDead: the last attempt's error
  int64_t at_ms = 0;        // kRetry: the next attempt; kDead: when it was dead-lettered
  int64_t lease_until_ms = 0;  // kRetry: the owner keeps the lease until then
};

class EventDeliveryStore {
 public:
  virtual ~EventDeliveryStore() = default;

  // Inserts the deliveries (an id already stored is skipped), leased to owner until
  // lease_until_ms ("" and 0: free, for any node's claim). Inserts only while the store
  // holds fewer than max_pending pending rows: returns how many of `deliveries` (a prefix)
  // were inserted; the caller dead-letters the rest.
  virtual Result<size_t> AddDeliveries(const std::vector<EventDelivery>& deliveries,
                                       const std::string& owner, int64_t lease_until_ms,
                                       size_t max_pending) = 0;
  // Atomically claims up to limit pending rows due at or before now_ms whose lease is free
  // or expired (lease_until_ms <= now_ms): owner := owner, lease_until := now_ms + lease_ms.
  // Earliest due first.
  virtual Result<std::vector<EventDelivery>> ClaimDueDeliveries(const std::string& owner,
                                                                int64_t now_ms, int64_t lease_ms,
                                                                size_t limit) = 0;
  // Moves a held lease's expiry to until_ms. False when owner no longer holds it.
  virtual Result<bool> RenewDeliveryLease(const std::string& id, const std::string& owner,
                                          int64_t until_ms) = 0;
  // Records outcomes of attempts made under owner's leases, in one transaction: kDelivered
  // deletes the row; kRetry sets attempts, last_error, next_attempt_ms := at_ms and keeps the
  // lease until lease_until_ms; kDead marks it dead (attempts, last_error, finished_ms :=
  // at_ms) and frees the lease. result[i] is false when owner no longer held outcome i's
  // pending row (nothing of that outcome is applied: another node decides).
  virtual Result<std::vector<bool>> RecordOutcomes(const std::string& owner,
                                                   const std::vector<DeliveryOutcome>& outcomes) = 0;
  // Frees the leases of every pending row whose owner starts with owner_prefix (a stopping
  // node: its own owner id; a restarting node: "<node>:", its previous process's rows).
  // Returns how many.
  virtual Result<size_t> ReleaseDeliveries(const std::string& owner_prefix) = 0;
  // Pending (dead = false) or dead-lettered rows, in id order after after_id, at most limit.
  virtual Result<std::vector<EventDelivery>> ListDeliveries(bool dead, const std::string& after_id,
                                                            size_t limit) = 0;
  // Pending rows, counted up to `up_to` (a bounded count: a full table costs no more).
  virtual Result<size_t> CountPendingDeliveries(size_t up_to) = 0;
  // Deletes dead rows finished before before_ms, then the oldest dead rows beyond keep_dead.
  // Returns how many.
  virtual Result<size_t> TrimDeliveries(int64_t before_ms, size_t keep_dead) = 0;

  // One access-denied answer to principal at now_ms: adds 1 to its bucket (start =
  // now_ms - now_ms % bucket_ms) and sums the buckets that end after now_ms - window_ms.
  // When the sum reaches threshold, every bucket of the principal is deleted (the next
  // burst counts from zero) and the sum is returned; otherwise 0 (and the principal's
  // buckets that ended before the window are deleted). Calls for one principal are
  // serialised across nodes, so one burst returns non-zero exactly once in the cluster.
  virtual Result<int64_t> CountDenial(const std::string& principal, int64_t now_ms,
                                      int64_t window_ms, int64_t bucket_ms,
                                      int64_t threshold) = 0;
  // Deletes every principal's buckets that started before before_ms. Returns how many.
  virtual Result<size_t> TrimDenials(int64_t before_ms) = 0;
};

// A new delivery id for a row created at created_ms (see EventDelivery::id).
std::string NewDeliveryId(int64_t created_ms);

}  // namespace arcana::storage
