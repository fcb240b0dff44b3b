#include "storage/sqlite/job_store.h"

#include <algorithm>

#include "storage/store_types.h"

namespace arcana::storage::sqlite {

namespace {
const char* const kJobsMigrations[] = {
    // 1: durable leased jobs. A free lease has owner '' and lease_until_ms 0.
    R"sql(
    CREATE TABLE jobs (
      name           TEXT PRIMARY KEY,
      due_ms         INTEGER NOT NULL,
      payload        BLOB NOT NULL,
      owner          TEXT NOT NULL DEFAULT '',
      lease_until_ms INTEGER NOT NULL DEFAULT 0,
      attempts       INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX jobs_by_due ON jobs(due_ms);
    )sql",
    // 2: a run's completion must not undo a reschedule made while it ran (job_store.h).
    "ALTER TABLE jobs ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;",
};

Job ReadJob(sqlite3_stmt* st) {
  Job j;
  j.name = ColText(st, 0);
  j.due_ms = sqlite3_column_int64(st, 1);
  j.payload = ColText(st, 2);
  j.attempts = sqlite3_column_int64(st, 3);
  j.generation = sqlite3_column_int64(st, 4);
  return j;
}
}  // namespace

Migrations SqliteJobStore::Schema() {
  return {"jobs", kJobsMigrations, std::size(kJobsMigrations)};
}

Status SqliteJobStore::ScheduleJob(const std::string& name, int64_t due_ms,
                                   const std::string& payload, bool replace_due) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st =
        replace_due
            ? c.Prepare("INSERT INTO jobs (name, due_ms, payload) VALUES (?,?,?) "
                        "ON CONFLICT(name) DO UPDATE SET due_ms = excluded.due_ms, "
                        "payload = excluded.payload, generation = generation + 1")
            : c.Prepare("INSERT INTO jobs (name, due_ms, payload) VALUES (?,?,?) "
                        "ON CONFLICT(name) DO NOTHING");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, name);
    sqlite3_bind_int64(st, 2, due_ms);
    BindBlob(st, 3, payload);
    return Step(c, st, "schedule job");
  });
}

Status SqliteJobStore::CancelJob(const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("DELETE FROM jobs WHERE name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, name);
    return Step(c, st, "cancel job");
  });
}

Result<std::optional<Job>> SqliteJobStore::GetJob(const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st =
      c->Prepare("SELECT name, due_ms, payload, attempts, generation FROM jobs WHERE name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<Job>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read job");
  Job j = ReadJob(st);
  sqlite3_reset(st);
  return std::optional<Job>(std::move(j));
}

Result<std::vector<Job>> SqliteJobStore::ClaimDueJobs(const std::string& owner, int64_t now_ms,
                                                      int64_t lease_ms, size_t limit) {
  std::vector<Job> claimed;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    claimed.clear();
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "SELECT name, due_ms, payload, attempts, generation FROM jobs "
        "WHERE due_ms <= ?1 AND lease_until_ms <= ?1 ORDER BY due_ms, name LIMIT ?2");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
    std::vector<Job> due;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) due.push_back(ReadJob(st));
    if (rc != SQLITE_DONE) return DbError(c.db(), "read due jobs");
    for (auto& j : due) {
      // Conditional on the lease still being free: the claim and its check are one UPDATE.
      sqlite3_stmt* up = c.Prepare(
          "UPDATE jobs SET owner = ?1, lease_until_ms = ?2, attempts = attempts + 1 "
          "WHERE name = ?3 AND due_ms <= ?4 AND lease_until_ms <= ?4");
      if (!up) return DbError(c.db(), "prepare");
      BindText(up, 1, owner);
      sqlite3_bind_int64(up, 2, now_ms + lease_ms);
      BindText(up, 3, j.name);
      sqlite3_bind_int64(up, 4, now_ms);
      ARCANA_RETURN_IF_ERROR(Step(c, up, "claim job"));
      if (sqlite3_changes(c.db()) == 0) continue;
      j.attempts += 1;
      claimed.push_back(std::move(j));
    }
    return Status::Ok();
  }));
  return claimed;
}

Result<bool> SqliteJobStore::RenewJobLease(const std::string& name, const std::string& owner,
                                           int64_t until_ms) {
  bool held = false;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st =
        c.Prepare("UPDATE jobs SET lease_until_ms = ? WHERE name = ? AND owner = ?");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, until_ms);
    BindText(st, 2, name);
    BindText(st, 3, owner);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "renew job lease"));
    held = sqlite3_changes(c.db()) > 0;
    return Status::Ok();
  }));
  return held;
}

Status SqliteJobStore::CompleteJob(const Job& claimed, const std::string& owner,
                                   std::optional<int64_t> next_due_ms,
                                   std::optional<std::string> next_payload) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // Applied only if the row is still at the claimed generation...
    sqlite3_stmt* st =
        next_due_ms
            ? c.Prepare("UPDATE jobs SET due_ms = ?4, payload = COALESCE(?5, payload), "
                        "owner = '', lease_until_ms = 0, attempts = 0 "
                        "WHERE name = ?1 AND owner = ?2 AND generation = ?3")
            : c.Prepare("DELETE FROM jobs WHERE name = ?1 AND owner = ?2 AND generation = ?3");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, claimed.name);
    BindText(st, 2, owner);
    sqlite3_bind_int64(st, 3, claimed.generation);
    if (next_due_ms) {
      sqlite3_bind_int64(st, 4, *next_due_ms);
      if (next_payload) {
        BindBlob(st, 5, *next_payload);
      } else {
        sqlite3_bind_null(st, 5);
      }
    }
    ARCANA_RETURN_IF_ERROR(Step(c, st, "complete job"));
    if (sqlite3_changes(c.db()) > 0) return Status::Ok();
    // ...else rescheduled meanwhile (its new due time and payload stay) or no longer ours.
    sqlite3_stmt* release = c.Prepare(
        "UPDATE jobs SET owner = '', lease_until_ms = 0, attempts = 0 "
        "WHERE name = ?1 AND owner = ?2");
    if (!release) return DbError(c.db(), "prepare");
    BindText(release, 1, claimed.name);
    BindText(release, 2, owner);
    ARCANA_RETURN_IF_ERROR(Step(c, release, "release job"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kWriteConflict,
                    "job " + claimed.name + " is no longer held by " + owner);
    }
    return Status::Ok();
  });
}

Result<std::optional<int64_t>> SqliteJobStore::NextDueMs() {
  ARCANA_LEASE(c, db_.pool());
  // A job whose lease is held becomes claimable again only when the lease expires.
  sqlite3_stmt* st = c->Prepare("SELECT MIN(MAX(due_ms, lease_until_ms)) FROM jobs");
  if (!st) return DbError(c->db(), "prepare");
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) return DbError(c->db(), "read next due job");
  std::optional<int64_t> due;
  if (sqlite3_column_type(st, 0) != SQLITE_NULL) due = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return due;
}

}  // namespace arcana::storage::sqlite
