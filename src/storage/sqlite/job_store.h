// The SQLite JobStore (storage/job_store.h): table `jobs` (name, due time, payload, lease
// owner and expiry, attempts). A claim is a conditional UPDATE inside the write
// transaction, so two claimers never both get a run.
#pragma once

#include "storage/job_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteJobStore : public JobStore {
 public:
  explicit SqliteJobStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status ScheduleJob(const std::string& name, int64_t due_ms, const std::string& payload,
                     bool replace_due) override;
  Status CancelJob(const std::string& name) override;
  Result<std::optional<Job>> GetJob(const std::string& name) override;
  Result<std::vector<Job>> ClaimDueJobs(const std::string& owner, int64_t now_ms,
                                        int64_t lease_ms, size_t limit) override;
  Result<bool> RenewJobLease(const std::string& name, const std::string& owner,
                             int64_t until_ms) override;
  Status CompleteJob(const Job& claimed, const std::string& owner,
                     std::optional<int64_t> next_due_ms,
                     std::optional<std::string> next_payload) override;
  Result<std::optional<int64_t>> NextDueMs() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
