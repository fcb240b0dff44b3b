// SqliteEventRuleStore's archives and replays (storage/event_rule_store.h): tables event_docs
// and event_archive_events (migration 7 of component "events", event_rule_store.cc).
#include <algorithm>

#include "common/json.h"

#include "storage/sqlite/event_rule_store.h"

namespace arcana::storage::sqlite {
namespace {

void BindDocKey(sqlite3_stmt* st, const Scope& scope, const std::string& kind,
                const std::string& name) {
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, kind);
  BindText(st, 4, name);
}

// The document's ARN inside a write, or kResourceNotFound.
Result<std::string> DocArnInWrite(Conn& c, const Scope& scope, const std::string& kind,
                                  const std::string& name) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT arn FROM event_docs WHERE account = ? AND region = ? AND kind = ? AND name = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindDocKey(st, scope, kind, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return Status(ErrorCode::kResourceNotFound, "no " + kind + " " + name);
  if (rc != SQLITE_ROW) return DbError(c.db(), "read event document");
  std::string arn = ColText(st, 0);
  sqlite3_reset(st);
  return arn;
}

}  // namespace

Status SqliteEventRuleStore::CreateEventDoc(const Scope& scope, const std::string& kind,
                                            const std::string& name, const std::string& arn,
                                            const std::string& document, const std::string& op) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    auto existing = DocArnInWrite(c, scope, kind, name);
    if (existing.ok()) return Status(ErrorCode::kResourceExists, kind + " " + name + " exists");
    if (existing.status().code() != ErrorCode::kResourceNotFound) return existing.status();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_docs (account, region, kind, name, arn, document) "
        "VALUES (?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindDocKey(st, scope, kind, name);
    BindText(st, 5, arn);
    BindText(st, 6, document);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write event document"));
    return txn.AddChange(scope.account, scope.region, "events", arn, op);
  });
}

Status SqliteEventRuleStore::UpdateEventDoc(const Scope& scope, const std::string& kind,
                                            const std::string& name, const std::string& document,
                                            const std::string& op) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, DocArnInWrite(c, scope, kind, name));
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_docs SET document = ? WHERE account = ? AND region = ? AND kind = ? "
        "AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, document);
    BindText(st, 2, scope.account);
    BindText(st, 3, scope.region);
    BindText(st, 4, kind);
    BindText(st, 5, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write event document"));
    return txn.AddChange(scope.account, scope.region, "events", arn, op);
  });
}

Result<std::optional<std::string>> SqliteEventRuleStore::GetEventDoc(const Scope& scope,
                                                                     const std::string& kind,
                                                                     const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT document FROM event_docs WHERE account = ? AND region = ? AND kind = ? "
      "AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindDocKey(st, scope, kind, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read event document");
  std::string doc = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(doc));
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteEventRuleStore::ListEventDocs(
    const Scope& scope, const std::string& kind, const std::string& name_prefix,
    const std::string& after_name, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT name, document FROM event_docs WHERE account = ? AND region = ? AND kind = ? "
      "AND name > ? AND substr(name, 1, length(?)) = ? ORDER BY name LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindDocKey(st, scope, kind, after_name);
  BindText(st, 5, name_prefix);
  BindText(st, 6, name_prefix);
  sqlite3_bind_int64(st, 7, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.emplace_back(ColText(st, 0), ColText(st, 1));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list event documents");
  return out;
}

Status SqliteEventRuleStore::DeleteEventDoc(const Scope& scope, const std::string& kind,
                                            const std::string& name, const std::string& op) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, DocArnInWrite(c, scope, kind, name));
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM event_docs WHERE account = ? AND region = ? AND kind = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindDocKey(st, scope, kind, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete event document"));
    if (kind == kArchiveDoc) {
      sqlite3_stmt* events = c.Prepare(
          "DELETE FROM event_archive_events WHERE account = ? AND region = ? AND archive = ?");
      if (!events) return DbError(c.db(), "prepare");
      BindText(events, 1, scope.account);
      BindText(events, 2, scope.region);
      BindText(events, 3, name);
      ARCANA_RETURN_IF_ERROR(Step(c, events, "delete archived events"));
    }
    return txn.AddChange(scope.account, scope.region, "events", arn, op);
  });
}

Status SqliteEventRuleStore::ArchiveEvent(const Scope& scope, const std::string& archive,
                                          int64_t time_ms, int64_t expires_ms,
                                          const std::string& json) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // Only while the archive exists: one deleted meanwhile keeps nothing.
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_archive_events (account, region, archive, time_ms, expires_ms, size, "
        "json) SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM event_docs WHERE "
        "account = ? AND region = ? AND kind = 'archive' AND name = ?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, archive);
    sqlite3_bind_int64(st, 4, time_ms);
    sqlite3_bind_int64(st, 5, expires_ms);
    sqlite3_bind_int64(st, 6, static_cast<int64_t>(json.size()));
    BindText(st, 7, json);
    BindText(st, 8, scope.account);
    BindText(st, 9, scope.region);
    BindText(st, 10, archive);
    return Step(c, st, "archive event");
  });
}

Result<std::map<std::string, ArchiveStats>> SqliteEventRuleStore::ArchiveStatsOf(
    const Scope& scope, const std::vector<std::string>& archives) {
  std::map<std::string, ArchiveStats> out;
  if (archives.empty()) return out;
  // The names as one JSON array (json_each): one statement text, whatever their number (the
  // connection caches statements by their text's address).
  rapidjson::StringBuffer names;
  json::Writer w(names);
  json::WriteStringList(w, archives);
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT archive, count(*), coalesce(sum(size), 0) FROM event_archive_events WHERE "
      "account = ? AND region = ? AND archive IN (SELECT value FROM json_each(?)) "
      "GROUP BY archive");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, json::Finish(names));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out[ColText(st, 0)] = {sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "count archived events");
  return out;
}

Result<std::vector<ArchivedEvent>> SqliteEventRuleStore::ListArchivedEvents(
    const Scope& scope, const std::string& archive, int64_t from_ms, int64_t to_ms,
    int64_t after_seq, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT seq, time_ms, json FROM event_archive_events WHERE account = ? AND region = ? "
      "AND archive = ? AND seq > ? AND time_ms >= ? AND time_ms < ? ORDER BY seq LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, archive);
  sqlite3_bind_int64(st, 4, after_seq);
  sqlite3_bind_int64(st, 5, from_ms);
  sqlite3_bind_int64(st, 6, to_ms);
  sqlite3_bind_int64(st, 7, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<ArchivedEvent> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), ColText(st, 2)});
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list archived events");
  return out;
}

Status SqliteEventRuleStore::SetArchiveRetention(const Scope& scope, const std::string& archive,
                                                 int64_t retention_ms) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_archive_events SET expires_ms = CASE WHEN ? = 0 THEN 0 ELSE time_ms + ? "
        "END WHERE account = ? AND region = ? AND archive = ?");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, retention_ms);
    sqlite3_bind_int64(st, 2, retention_ms);
    BindText(st, 3, scope.account);
    BindText(st, 4, scope.region);
    BindText(st, 5, archive);
    return Step(c, st, "set archive retention");
  });
}

Result<size_t> SqliteEventRuleStore::TrimArchivedEvents(int64_t now_ms) {
  size_t deleted = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM event_archive_events WHERE expires_ms > 0 AND expires_ms <= ?");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, now_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "trim archived events"));
    deleted = static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return deleted;
}

}  // namespace arcana::storage::sqlite
