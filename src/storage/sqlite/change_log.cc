#include "storage/sqlite/change_log.h"

#include <algorithm>

#include "storage/store_types.h"

namespace arcana::storage::sqlite {

namespace {
const char* const kChangesMigrations[] = {
    // 1: the change sequence (transactional outbox).
    R"sql(
    CREATE TABLE changes (
      seq      INTEGER PRIMARY KEY AUTOINCREMENT,
      at_ms    INTEGER NOT NULL,
      account  TEXT NOT NULL,
      region   TEXT NOT NULL,
      service  TEXT NOT NULL,
      resource TEXT NOT NULL,
      kind     TEXT NOT NULL
    );
    CREATE INDEX changes_by_time ON changes(at_ms);
    )sql",
};
}  // namespace

Migrations SqliteChangeLog::Schema() {
  return {"changes", kChangesMigrations, std::size(kChangesMigrations)};
}

Result<std::vector<Change>> SqliteChangeLog::ReadChanges(int64_t after_seq, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT seq, at_ms, account, region, service, resource, kind FROM changes "
      "WHERE seq > ? ORDER BY seq LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, after_seq);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<Change> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ChangeRow(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "read changes");
  // Committed, whichever process appended them: the head is at least the last one.
  if (!out.empty()) db_.RaiseHead(out.back().seq);
  return out;
}

Result<size_t> SqliteChangeLog::TrimChanges(int64_t before_ms) {
  size_t deleted = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // A prefix of the sequence, up to the newest change committed before before_ms: at_ms
    // is the writer's clock, not monotonic in seq (a clock stepped back), and deleting by it
    // alone could leave a hole that a reader behind it would skip unnoticed. The newest row
    // stays, so MAX(seq) (the head at the next open) never goes back.
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM changes WHERE seq <= (SELECT MAX(seq) FROM changes WHERE at_ms < ?) "
        "AND seq < (SELECT MAX(seq) FROM changes)");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, before_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "trim changes"));
    deleted = static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace arcana::storage::sqlite
