// Durable, leased jobs: the store's side of the scheduler (jobs/scheduler.h). A job is a row
// (name, due time, payload) plus a lease (owner, expiry). Any node may claim a due job whose
// lease is free or expired; the claim is one atomic conditional update, so exactly one node
// runs each due run even with many nodes on one store. A node that dies mid-run loses its
// lease at expiry and another node runs the job again (jobs are idempotent).
// Thread-safety: as every store component (store_types.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::storage {

struct Job {
  std::string name;     // unique, e.g. "secretsmanager.purge", "rotation:<secret arn>"
  int64_t due_ms = 0;
  std::string payload;  // opaque to the store (no secret values)
  int64_t attempts = 0;  // claims since the last completion
  // Bumped by every ScheduleJob(replace_due = true) of an existing row: a completion can
  // tell that the job was rescheduled while its run was in progress.
  int64_t generation = 0;
};

class JobStore {
 public:
  virtual ~JobStore() = default;
  // Creates the job due at due_ms, or if it exists: replace_due false keeps its due time and
  // payload (periodic jobs registered by every node at start); true sets both and bumps the
  // generation (a lease held on the row stays held).
  virtual Status ScheduleJob(const std::string& name, int64_t due_ms, const std::string& payload,
                             bool replace_due) = 0;
  // Deletes the job (a running claim's CompleteJob then fails with kWriteConflict).
  virtual Status CancelJob(const std::string& name) = 0;
  virtual Result<std::optional<Job>> GetJob(const std::string& name) = 0;
  // Atomically claims up to limit jobs due at or before now_ms whose lease is free or expired
  // (lease_until <= now_ms): owner := owner, lease_until := now_ms + lease_ms, attempts + 1.
  // Returns the jobs claimed, earliest due first.
  virtual Result<std::vector<Job>> ClaimDueJobs(const std::string& owner, int64_t now_ms,
                                                int64_t lease_ms, size_t limit) = 0;
  // Sets a held lease's expiry to until_ms: later to extend a long run, earlier (even now_ms)
  // to hand an unrun job back sooner (the scheduler does, when sealed or stopping). False
  // when owner no longer holds it.
  virtual Result<bool> RenewJobLease(const std::string& name, const std::string& owner,
                                     int64_t until_ms) = 0;
  // Ends the run of `claimed` (as ClaimDueJobs returned it), atomically:
  //  - the row still at the claimed generation: next_due_ms reschedules it (with
  //    next_payload, when given, as its payload), nullopt deletes it;
  //  - rescheduled since the claim (ScheduleJob replaced its due time and payload while the
  //    run was in progress): that newer schedule wins, only the lease is released;
  // attempts are reset either way. kWriteConflict when owner no longer holds the lease
  // (cancelled or taken over; nothing changes).
  virtual Status CompleteJob(const Job& claimed, const std::string& owner,
                             std::optional<int64_t> next_due_ms,
                             std::optional<std::string> next_payload) = 0;
  // The earliest due time of any job, if any (the scheduler sleeps until then, bounded).
  virtual Result<std::optional<int64_t>> NextDueMs() = 0;
};

}  // namespace arcana::storage
