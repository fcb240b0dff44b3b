// The PostgreSQL JobStore (job_store.h): table jobs (name, due time, payload, lease owner and
// expiry, attempts). A claim is one UPDATE over the due, unleased rows it locks with
// FOR UPDATE SKIP LOCKED, so concurrent claimers on any number of nodes never take the same
// run and never wait for each other.
// Thread-safety: as every store component (store_types.h).
#pragma once

#include "storage/job_store.h"
#include "storage/postgres/pg_database.h"

namespace arcana::storage::pg {

class PgJobStore : public JobStore {
 public:
  explicit PgJobStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status ScheduleJob(const std::string& name, int64_t due_ms, const std::string& payload,
                     bool replace_due) override;
  Status CancelJob(const std::string& name) override;
  Result<std::optional<Job>> GetJob(const std::string& name) override;
  Result<std::vector<Job>> ClaimDueJobs(const std::string& owner, int64_t now_ms, int64_t lease_ms,
                                        size_t limit) override;
  Result<bool> RenewJobLease(const std::string& name, const std::string& owner,
                             int64_t until_ms) override;
  Status CompleteJob(const Job& claimed, const std::string& owner,
                     std::optional<int64_t> next_due_ms,
                     std::optional<std::string> next_payload) override;
  Result<std::optional<int64_t>> NextDueMs() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::pg
