#include "storage/postgres/pg_job_store.h"

#include <algorithm>

namespace arcana::storage::pg {

namespace {

// owner NULL: the lease is free (lease_until_ms is then 0).
const char* const kJobsV1 = R"sql(
CREATE TABLE jobs (
  name           TEXT COLLATE "C" PRIMARY KEY,
  due_ms         BIGINT NOT NULL,
  payload        TEXT NOT NULL,
  owner          TEXT,
  lease_until_ms BIGINT NOT NULL DEFAULT 0,
  attempts       BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX jobs_by_due ON jobs (due_ms);
)sql";

// A run's completion must not undo a reschedule made while it ran (job_store.h).
const char* const kJobsV2 = "ALTER TABLE jobs ADD COLUMN generation BIGINT NOT NULL DEFAULT 0;";

Job Decode(const pqxx::row& row) {  // (name, due_ms, payload, attempts, generation)
  return {Text(row[0]), Int(row[1]), Text(row[2]), Int(row[3]), Int(row[4])};
}

}  // namespace

Migrations PgJobStore::Schema() { return {"jobs", {kJobsV1, kJobsV2}}; }

Status PgJobStore::ScheduleJob(const std::string& name, int64_t due_ms, const std::string& payload,
                               bool replace_due) {
  return db_.Write("schedule job", [&](Tx& tx) {
    tx.Exec(replace_due
                ? "INSERT INTO jobs (name, due_ms, payload) VALUES ($1, $2, $3) "
                  "ON CONFLICT (name) DO UPDATE SET due_ms = excluded.due_ms, "
                  "payload = excluded.payload, generation = jobs.generation + 1"
                : "INSERT INTO jobs (name, due_ms, payload) VALUES ($1, $2, $3) "
                  "ON CONFLICT (name) DO NOTHING",
            {name, due_ms, payload});
    return Status::Ok();
  });
}

Status PgJobStore::CancelJob(const std::string& name) {
  return db_.Write("cancel job", [&](Tx& tx) {
    tx.Exec("DELETE FROM jobs WHERE name = $1", {name});
    return Status::Ok();
  });
}

Result<std::optional<Job>> PgJobStore::GetJob(const std::string& name) {
  std::optional<Job> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read job", [&](Tx& tx) {
    auto r = tx.Exec("SELECT name, due_ms, payload, attempts, generation FROM jobs WHERE name = $1", {name});
    if (!r.empty()) out = Decode(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Job>> PgJobStore::ClaimDueJobs(const std::string& owner, int64_t now_ms,
                                                  int64_t lease_ms, size_t limit) {
  std::vector<Job> out;
  ARCANA_RETURN_IF_ERROR(db_.Write("claim jobs", [&](Tx& tx) {
    // The rows locked by the subquery are re-checked as they are locked (READ COMMITTED),
    // and rows another claimer holds are skipped, not waited for.
    out.clear();
    for (const auto& row : tx.Exec(
             "UPDATE jobs SET owner = $1, lease_until_ms = $2::bigint + $3::bigint, "
             "attempts = attempts + 1 "
             "WHERE name IN (SELECT name FROM jobs WHERE due_ms <= $2 "
             "  AND (owner IS NULL OR lease_until_ms <= $2) "
             "  ORDER BY due_ms, name LIMIT $4 FOR UPDATE SKIP LOCKED) "
             "RETURNING name, due_ms, payload, attempts, generation",
             {owner, now_ms, lease_ms, std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  std::sort(out.begin(), out.end(), [](const Job& a, const Job& b) {
    return a.due_ms != b.due_ms ? a.due_ms < b.due_ms : a.name < b.name;
  });
  return out;
}

Result<bool> PgJobStore::RenewJobLease(const std::string& name, const std::string& owner,
                                       int64_t until_ms) {
  bool held = false;
  ARCANA_RETURN_IF_ERROR(db_.Write("renew job lease", [&](Tx& tx) {
    auto r = tx.Exec(
        "UPDATE jobs SET lease_until_ms = $3 WHERE name = $1 AND owner = $2 RETURNING 1",
        {name, owner, until_ms});
    held = !r.empty();
    return Status::Ok();
  }));
  return held;
}

Status PgJobStore::CompleteJob(const Job& claimed, const std::string& owner,
                               std::optional<int64_t> next_due_ms,
                               std::optional<std::string> next_payload) {
  return db_.Write("complete job", [&](Tx& tx) -> Status {
    // Applied only if the row is still at the claimed generation...
    auto r = next_due_ms
                 ? tx.Exec(
                       "UPDATE jobs SET due_ms = $4, payload = COALESCE($5, payload), "
                       "owner = NULL, lease_until_ms = 0, attempts = 0 "
                       "WHERE name = $1 AND owner = $2 AND generation = $3 RETURNING 1",
                       {claimed.name, owner, claimed.generation, *next_due_ms, next_payload})
                 : tx.Exec("DELETE FROM jobs WHERE name = $1 AND owner = $2 "
                           "AND generation = $3 RETURNING 1",
                           {claimed.name, owner, claimed.generation});
    if (!r.empty()) return Status::Ok();
    // ...else rescheduled meanwhile (its new due time and payload stay) or no longer ours.
    r = tx.Exec("UPDATE jobs SET owner = NULL, lease_until_ms = 0, attempts = 0 "
                "WHERE name = $1 AND owner = $2 RETURNING 1",
                {claimed.name, owner});
    if (r.empty()) {
      return Status(ErrorCode::kWriteConflict,
                    "job " + claimed.name + " is no longer leased by " + owner);
    }
    return Status::Ok();
  });
}

Result<std::optional<int64_t>> PgJobStore::NextDueMs() {
  std::optional<int64_t> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("next due job", [&](Tx& tx) {
    // A job whose lease is held becomes claimable again only when the lease expires.
    auto r = tx.Exec("SELECT min(GREATEST(due_ms, lease_until_ms)) FROM jobs");
    if (!r.empty()) out = OptInt(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

}  // namespace arcana::storage::pg
