#include "storage/sqlite/event_delivery_store.h"

#include <algorithm>

namespace arcana::storage::sqlite {

namespace {

const char* const kDeliveryMigrations[] = {
    // 1: event deliveries (pending and dead-lettered) and the denial counters of the
    // "Denied Access Burst" detection. A free lease has owner '' and lease_until_ms 0.
    R"sql(
    CREATE TABLE event_deliveries (
      id              TEXT PRIMARY KEY,
      account         TEXT NOT NULL,
      region          TEXT NOT NULL,
      rule_arn        TEXT NOT NULL,
      target_id       TEXT NOT NULL,
      url             TEXT NOT NULL,
      body            BLOB NOT NULL,
      max_retries     INTEGER NOT NULL,
      max_age_ms      INTEGER,
      created_ms      INTEGER NOT NULL,
      next_attempt_ms INTEGER NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT NOT NULL DEFAULT '',
      dead            INTEGER NOT NULL DEFAULT 0,
      finished_ms     INTEGER NOT NULL DEFAULT 0,
      owner           TEXT NOT NULL DEFAULT '',
      lease_until_ms  INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX event_deliveries_due ON event_deliveries(dead, next_attempt_ms);
    CREATE INDEX event_deliveries_finished ON event_deliveries(dead, finished_ms);
    CREATE TABLE event_denials (
      principal       TEXT NOT NULL,
      window_start_ms INTEGER NOT NULL,
      count           INTEGER NOT NULL,
      PRIMARY KEY (principal, window_start_ms)
    ) WITHOUT ROWID;
    CREATE INDEX event_denials_by_start ON event_denials(window_start_ms);
    )sql",
};

constexpr const char* kColumns =
    "SELECT id, account, region, rule_arn, target_id, url, body, max_retries, max_age_ms, "
    "created_ms, next_attempt_ms, attempts, last_error, dead, finished_ms FROM event_deliveries ";

EventDelivery Read(sqlite3_stmt* st) {
  EventDelivery d;
  d.id = ColText(st, 0);
  d.account = ColText(st, 1);
  d.region = ColText(st, 2);
  d.rule_arn = ColText(st, 3);
  d.target_id = ColText(st, 4);
  d.url = ColText(st, 5);
  d.body = ColText(st, 6);
  d.max_retries = sqlite3_column_int(st, 7);
  if (sqlite3_column_type(st, 8) != SQLITE_NULL) d.max_age_ms = sqlite3_column_int64(st, 8);
  d.created_ms = sqlite3_column_int64(st, 9);
  d.next_attempt_ms = sqlite3_column_int64(st, 10);
  d.attempts = sqlite3_column_int(st, 11);
  d.last_error = ColText(st, 12);
  d.dead = sqlite3_column_int(st, 13) != 0;
  d.finished_ms = sqlite3_column_int64(st, 14);
  return d;
}

Result<int64_t> ScalarInt(Conn& c, sqlite3_stmt* st, const char* what) {
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), what);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

// Pending rows counted up to `up_to`.
Result<int64_t> CountPending(Conn& c, size_t up_to) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT count(*) FROM (SELECT 1 FROM event_deliveries WHERE dead = 0 LIMIT ?)");
  if (!st) return DbError(c.db(), "prepare");
  sqlite3_bind_int64(st, 1, static_cast<int64_t>(up_to));
  return ScalarInt(c, st, "count deliveries");
}

}  // namespace

Migrations SqliteEventDeliveryStore::Schema() {
  return {"event_deliveries", kDeliveryMigrations, std::size(kDeliveryMigrations)};
}

Result<size_t> SqliteEventDeliveryStore::AddDeliveries(const std::vector<EventDelivery>& deliveries,
                                                       const std::string& owner,
                                                       int64_t lease_until_ms,
                                                       size_t max_pending) {
  size_t added = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    added = 0;
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(int64_t pending, CountPending(c, max_pending));
    size_t room = max_pending > static_cast<size_t>(pending) ? max_pending - pending : 0;
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_deliveries (id, account, region, rule_arn, target_id, url, body, "
        "max_retries, max_age_ms, created_ms, next_attempt_ms, attempts, owner, lease_until_ms) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING");
    if (!st) return DbError(c.db(), "prepare");
    for (const auto& d : deliveries) {
      if (added == room) break;
      BindText(st, 1, d.id);
      BindText(st, 2, d.account);
      BindText(st, 3, d.region);
      BindText(st, 4, d.rule_arn);
      BindText(st, 5, d.target_id);
      BindText(st, 6, d.url);
      BindBlob(st, 7, d.body);
      sqlite3_bind_int(st, 8, d.max_retries);
      BindOptInt(st, 9, d.max_age_ms);
      sqlite3_bind_int64(st, 10, d.created_ms);
      sqlite3_bind_int64(st, 11, d.next_attempt_ms);
      sqlite3_bind_int(st, 12, d.attempts);
      BindText(st, 13, owner);
      sqlite3_bind_int64(st, 14, owner.empty() ? 0 : lease_until_ms);
      ARCANA_RETURN_IF_ERROR(Step(c, st, "add delivery"));
      sqlite3_reset(st);
      ++added;
    }
    return Status::Ok();
  }));
  return added;
}

Result<std::vector<EventDelivery>> SqliteEventDeliveryStore::ClaimDueDeliveries(
    const std::string& owner, int64_t now_ms, int64_t lease_ms, size_t limit) {
  std::vector<EventDelivery> claimed;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    claimed.clear();
    Conn& c = txn.conn();
    static const std::string kDue = std::string(kColumns) +
        "WHERE dead = 0 AND next_attempt_ms <= ?1 AND lease_until_ms <= ?1 "
        "ORDER BY next_attempt_ms, id LIMIT ?2";
    sqlite3_stmt* st = c.Prepare(kDue.c_str());
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) claimed.push_back(Read(st));
    if (rc != SQLITE_DONE) return DbError(c.db(), "read due deliveries");
    sqlite3_stmt* up = c.Prepare(
        "UPDATE event_deliveries SET owner = ?, lease_until_ms = ? WHERE id = ?");
    if (!up) return DbError(c.db(), "prepare");
    for (const auto& d : claimed) {  // one writer: nothing changed since the SELECT
      BindText(up, 1, owner);
      sqlite3_bind_int64(up, 2, now_ms + lease_ms);
      BindText(up, 3, d.id);
      ARCANA_RETURN_IF_ERROR(Step(c, up, "claim delivery"));
      sqlite3_reset(up);
    }
    return Status::Ok();
  }));
  return claimed;
}

Result<bool> SqliteEventDeliveryStore::RenewDeliveryLease(const std::string& id,
                                                          const std::string& owner,
                                                          int64_t until_ms) {
  bool held = false;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_deliveries SET lease_until_ms = ? WHERE id = ? AND owner = ? AND dead = 0");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, until_ms);
    BindText(st, 2, id);
    BindText(st, 3, owner);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "renew delivery lease"));
    held = sqlite3_changes(c.db()) > 0;
    return Status::Ok();
  }));
  return held;
}

Result<std::vector<bool>> SqliteEventDeliveryStore::RecordOutcomes(
    const std::string& owner, const std::vector<DeliveryOutcome>& outcomes) {
  std::vector<bool> applied;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    applied.assign(outcomes.size(), false);
    Conn& c = txn.conn();
    sqlite3_stmt* del =
        c.Prepare("DELETE FROM event_deliveries WHERE id = ?1 AND owner = ?2 AND dead = 0");
    sqlite3_stmt* retry = c.Prepare(
        "UPDATE event_deliveries SET attempts = ?3, last_error = ?4, next_attempt_ms = ?5, "
        "lease_until_ms = ?6 WHERE id = ?1 AND owner = ?2 AND dead = 0");
    sqlite3_stmt* dead = c.Prepare(
        "UPDATE event_deliveries SET attempts = ?3, last_error = ?4, finished_ms = ?5, dead = 1, "
        "owner = '', lease_until_ms = 0 WHERE id = ?1 AND owner = ?2 AND dead = 0");
    if (!del || !retry || !dead) return DbError(c.db(), "prepare");
    for (size_t i = 0; i < outcomes.size(); ++i) {
      const DeliveryOutcome& o = outcomes[i];
      sqlite3_stmt* st = o.kind == DeliveryOutcome::Kind::kDelivered ? del
                         : o.kind == DeliveryOutcome::Kind::kRetry   ? retry
                                                                     : dead;
      BindText(st, 1, o.id);
      BindText(st, 2, owner);
      if (st != del) {
        sqlite3_bind_int(st, 3, o.attempts);
        BindText(st, 4, o.error);
        sqlite3_bind_int64(st, 5, o.at_ms);
        if (st == retry) sqlite3_bind_int64(st, 6, o.lease_until_ms);
      }
      ARCANA_RETURN_IF_ERROR(Step(c, st, "record delivery outcome"));
      applied[i] = sqlite3_changes(c.db()) > 0;
      sqlite3_reset(st);
    }
    return Status::Ok();
  }));
  return applied;
}

Result<size_t> SqliteEventDeliveryStore::ReleaseDeliveries(const std::string& owner_prefix) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_deliveries SET owner = '', lease_until_ms = 0 "
        "WHERE dead = 0 AND owner <> '' AND substr(owner, 1, length(?1)) = ?1");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, owner_prefix);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "release deliveries"));
    n = static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return n;
}

Result<std::vector<EventDelivery>> SqliteEventDeliveryStore::ListDeliveries(
    bool dead, const std::string& after_id, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  static const std::string kList =
      std::string(kColumns) + "WHERE dead = ? AND id > ? ORDER BY id LIMIT ?";
  sqlite3_stmt* st = c->Prepare(kList.c_str());
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int(st, 1, dead ? 1 : 0);
  BindText(st, 2, after_id);
  sqlite3_bind_int64(st, 3, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<EventDelivery> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(Read(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list deliveries");
  sqlite3_reset(st);
  return out;
}

Result<size_t> SqliteEventDeliveryStore::CountPendingDeliveries(size_t up_to) {
  ARCANA_LEASE(c, db_.pool());
  ARCANA_ASSIGN_OR_RETURN(int64_t n, CountPending(*c, up_to));
  return static_cast<size_t>(n);
}

Result<size_t> SqliteEventDeliveryStore::TrimDeliveries(int64_t before_ms, size_t keep_dead) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    n = 0;
    Conn& c = txn.conn();
    sqlite3_stmt* old =
        c.Prepare("DELETE FROM event_deliveries WHERE dead = 1 AND finished_ms < ?");
    if (!old) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(old, 1, before_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, old, "trim dead deliveries"));
    n += static_cast<size_t>(sqlite3_changes(c.db()));
    sqlite3_stmt* over = c.Prepare(
        "DELETE FROM event_deliveries WHERE dead = 1 AND id IN (SELECT id FROM event_deliveries "
        "WHERE dead = 1 ORDER BY finished_ms DESC, id DESC LIMIT -1 OFFSET ?)");
    if (!over) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(over, 1, static_cast<int64_t>(keep_dead));
    ARCANA_RETURN_IF_ERROR(Step(c, over, "trim dead deliveries"));
    n += static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return n;
}

Result<int64_t> SqliteEventDeliveryStore::CountDenial(const std::string& principal, int64_t now_ms,
                                                      int64_t window_ms, int64_t bucket_ms,
                                                      int64_t threshold) {
  int64_t fired = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    fired = 0;
    Conn& c = txn.conn();
    sqlite3_stmt* add = c.Prepare(
        "INSERT INTO event_denials (principal, window_start_ms, count) VALUES (?, ?, 1) "
        "ON CONFLICT(principal, window_start_ms) DO UPDATE SET count = count + 1");
    if (!add) return DbError(c.db(), "prepare");
    BindText(add, 1, principal);
    sqlite3_bind_int64(add, 2, now_ms - now_ms % bucket_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, add, "count denial"));
    const int64_t oldest = now_ms - window_ms - bucket_ms;  // buckets that ended before the window
    sqlite3_stmt* sum = c.Prepare(
        "SELECT coalesce(sum(count), 0) FROM event_denials WHERE principal = ? AND window_start_ms > ?");
    if (!sum) return DbError(c.db(), "prepare");
    BindText(sum, 1, principal);
    sqlite3_bind_int64(sum, 2, oldest);
    ARCANA_ASSIGN_OR_RETURN(int64_t total, ScalarInt(c, sum, "sum denials"));
    sqlite3_stmt* drop = c.Prepare(
        "DELETE FROM event_denials WHERE principal = ? AND window_start_ms <= ?");
    if (!drop) return DbError(c.db(), "prepare");
    BindText(drop, 1, principal);
    // A burst resets the principal's count; otherwise only the buckets out of the window go.
    sqlite3_bind_int64(drop, 2, total >= threshold ? INT64_MAX : oldest);
    ARCANA_RETURN_IF_ERROR(Step(c, drop, "reset denials"));
    if (total >= threshold) fired = total;
    return Status::Ok();
  }));
  return fired;
}

Result<size_t> SqliteEventDeliveryStore::TrimDenials(int64_t before_ms) {
  size_t n = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("DELETE FROM event_denials WHERE window_start_ms < ?");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, before_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "trim denials"));
    n = static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return n;
}

}  // namespace arcana::storage::sqlite
