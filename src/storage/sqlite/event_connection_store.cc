#include "storage/sqlite/event_connection_store.h"

#include <algorithm>

#include "crypto/base64.h"
#include "storage/sqlite/meta_store.h"

namespace arcana::storage::sqlite {

namespace {
constexpr const char* kConnService = "events";

// The root guard (storage/root_guard.h) on a connection's sealed credentials (base64 text of
// a root-sealed blob): refused when sealed under a key that is no longer the store's root.
Status CheckConnectionSealedUnderRoot(Conn& c, const EventConnectionRecord& rec) {
  if (rec.sealed.empty()) return Status::Ok();
  auto raw = crypto::Base64Decode(rec.sealed);
  if (!raw) return Status::Ok();  // not a blob of ours: nothing the root opens either way
  return CheckSealedUnderStoreRoot(c, *raw);
}

const char* const kEventConnectionMigrations[] = {
    // 1: connections and API destinations (one table, by kind), per account and region.
    R"sql(
    CREATE TABLE event_connections (
      account       TEXT NOT NULL,
      region        TEXT NOT NULL,
      kind          TEXT NOT NULL,
      name          TEXT NOT NULL,
      arn           TEXT NOT NULL,
      state         TEXT NOT NULL,
      document      TEXT NOT NULL,
      sealed        TEXT NOT NULL,
      connection    TEXT NOT NULL,
      created_ms    INTEGER NOT NULL,
      modified_ms   INTEGER NOT NULL,
      authorized_ms INTEGER NOT NULL,
      PRIMARY KEY (account, region, kind, name)
    ) WITHOUT ROWID;
    )sql",
    // 2: by ARN, as the root key's rotation walks the sealed credentials (root_store.h).
    R"sql(
    CREATE UNIQUE INDEX event_connections_by_arn ON event_connections (arn);
    )sql",
};

#define EVENT_CONNECTION_COLUMNS                                                        \
  "kind, name, arn, state, document, sealed, connection, created_ms, modified_ms, " \
  "authorized_ms"

EventConnectionRecord ReadEventConnection(sqlite3_stmt* st) {
  EventConnectionRecord r;
  r.kind = ColText(st, 0);
  r.name = ColText(st, 1);
  r.arn = ColText(st, 2);
  r.state = ColText(st, 3);
  r.document = ColText(st, 4);
  r.sealed = ColText(st, 5);
  r.connection = ColText(st, 6);
  r.created_ms = sqlite3_column_int64(st, 7);
  r.modified_ms = sqlite3_column_int64(st, 8);
  r.authorized_ms = sqlite3_column_int64(st, 9);
  return r;
}

// Whether the scope has a row (kind, name), read inside a write.
Result<bool> EventConnectionExists(Conn& c, const Scope& scope, const char* kind,
                                   const std::string& name) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT 1 FROM event_connections WHERE account = ? AND region = ? AND kind = ? AND "
      "name = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, kind);
  BindText(st, 4, name);
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(c.db(), "read connection");
  return rc == SQLITE_ROW;
}

// kResourceNotFound unless a destination's connection exists (connections need none).
Status CheckDestinationConnection(Conn& c, const Scope& scope, const EventConnectionRecord& rec) {
  if (rec.kind != kEventApiDestinationKind) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(bool exists,
                          EventConnectionExists(c, scope, kEventConnectionKind, rec.connection));
  if (!exists) return Status(ErrorCode::kResourceNotFound, "no connection " + rec.connection);
  return Status::Ok();
}
}  // namespace

Migrations SqliteEventConnectionStore::Schema() {
  return {"event-connections", kEventConnectionMigrations,
          std::size(kEventConnectionMigrations)};
}

Status SqliteEventConnectionStore::CreateEventConnection(const Scope& scope,
                                                         const EventConnectionRecord& rec) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckDestinationConnection(c, scope, rec));
    ARCANA_RETURN_IF_ERROR(CheckConnectionSealedUnderRoot(c, rec));
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_connections (account, region, " EVENT_CONNECTION_COLUMNS
        ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, rec.kind);
    BindText(st, 4, rec.name);
    BindText(st, 5, rec.arn);
    BindText(st, 6, rec.state);
    BindText(st, 7, rec.document);
    BindText(st, 8, rec.sealed);
    BindText(st, 9, rec.connection);
    sqlite3_bind_int64(st, 10, rec.created_ms);
    sqlite3_bind_int64(st, 11, rec.modified_ms);
    sqlite3_bind_int64(st, 12, rec.authorized_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "create connection"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kResourceExists, rec.kind + " " + rec.name + " exists");
    }
    return txn.AddChange(scope.account, scope.region, kConnService, rec.arn,
                         EventConnectionOp("Create", rec.kind));
  });
}

Result<std::optional<EventConnectionRecord>> SqliteEventConnectionStore::GetEventConnection(
    const Scope& scope, const std::string& kind, const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare("SELECT " EVENT_CONNECTION_COLUMNS
                                " FROM event_connections WHERE account = ? AND region = ? AND "
                                "kind = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, kind);
  BindText(st, 4, name);
  const int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<EventConnectionRecord>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read connection");
  EventConnectionRecord r = ReadEventConnection(st);
  sqlite3_reset(st);
  return std::optional<EventConnectionRecord>(std::move(r));
}

Result<std::vector<EventConnectionRecord>> SqliteEventConnectionStore::ListEventConnections(
    const Scope& scope, const std::string& kind, const std::string& name_prefix,
    const std::string& state, const std::string& connection, const std::string& after_name,
    size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT " EVENT_CONNECTION_COLUMNS
      " FROM event_connections WHERE account = ? AND region = ? AND kind = ? AND name > ? AND "
      "substr(name, 1, length(?)) = ? AND (? = '' OR state = ?) AND (? = '' OR connection = ?) "
      "ORDER BY name LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, kind);
  BindText(st, 4, after_name);
  BindText(st, 5, name_prefix);
  BindText(st, 6, name_prefix);
  BindText(st, 7, state);
  BindText(st, 8, state);
  BindText(st, 9, connection);
  BindText(st, 10, connection);
  sqlite3_bind_int64(st, 11, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<EventConnectionRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadEventConnection(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list connections");
  return out;
}

Status SqliteEventConnectionStore::UpdateEventConnection(const Scope& scope,
                                                         const EventConnectionRecord& rec,
                                                         const EventConnectionRecord& expected,
                                                         const std::string& op) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckDestinationConnection(c, scope, rec));
    ARCANA_RETURN_IF_ERROR(CheckConnectionSealedUnderRoot(c, rec));
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_connections SET state = ?, document = ?, sealed = ?, connection = ?, "
        "modified_ms = ?, authorized_ms = ? WHERE account = ? AND region = ? AND kind = ? AND "
        "name = ? AND modified_ms = ? AND authorized_ms = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, rec.state);
    BindText(st, 2, rec.document);
    BindText(st, 3, rec.sealed);
    BindText(st, 4, rec.connection);
    sqlite3_bind_int64(st, 5, rec.modified_ms);
    sqlite3_bind_int64(st, 6, rec.authorized_ms);
    BindText(st, 7, scope.account);
    BindText(st, 8, scope.region);
    BindText(st, 9, rec.kind);
    BindText(st, 10, rec.name);
    sqlite3_bind_int64(st, 11, expected.modified_ms);
    sqlite3_bind_int64(st, 12, expected.authorized_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "update connection"));
    if (sqlite3_changes(c.db()) == 0) {
      ARCANA_ASSIGN_OR_RETURN(bool exists,
                              EventConnectionExists(c, scope, rec.kind.c_str(), rec.name));
      if (exists) return Conflict(rec.kind + " " + rec.name);
      return Status(ErrorCode::kResourceNotFound, "no " + rec.kind + " " + rec.name);
    }
    return txn.AddChange(scope.account, scope.region, kConnService, rec.arn, op);
  });
}

Status SqliteEventConnectionStore::DeleteEventConnection(const Scope& scope,
                                                         const std::string& kind,
                                                         const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    if (kind == kEventConnectionKind) {
      sqlite3_stmt* used = c.Prepare(
          "SELECT 1 FROM event_connections WHERE account = ? AND region = ? AND kind = ? AND "
          "connection = ? LIMIT 1");
      if (!used) return DbError(c.db(), "prepare");
      BindText(used, 1, scope.account);
      BindText(used, 2, scope.region);
      BindText(used, 3, kEventApiDestinationKind);
      BindText(used, 4, name);
      const int rc = sqlite3_step(used);
      sqlite3_reset(used);
      if (rc == SQLITE_ROW) {
        return Status(ErrorCode::kPreconditionNotMet, "connection " + name + " is in use");
      }
      if (rc != SQLITE_DONE) return DbError(c.db(), "read destinations");
    }
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM event_connections WHERE account = ? AND region = ? AND kind = ? AND "
        "name = ? RETURNING arn");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, kind);
    BindText(st, 4, name);
    const int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(st);
      return Status(ErrorCode::kResourceNotFound, "no " + kind + " " + name);
    }
    if (rc != SQLITE_ROW) return DbError(c.db(), "delete connection");
    const std::string arn = ColText(st, 0);
    sqlite3_reset(st);
    return txn.AddChange(scope.account, scope.region, kConnService, arn,
                         EventConnectionOp("Delete", kind));
  });
}

Status SqliteEventConnectionStore::WipeEventConnections() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?, account, region, 'events', arn, 'WipeResources' FROM event_connections");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, st, "record wipe"));
    txn.MarkChanged();
    sqlite3_stmt* del = c.Prepare("DELETE FROM event_connections");
    if (!del) return DbError(c.db(), "prepare");
    return Step(c, del, "wipe connections");
  });
}

}  // namespace arcana::storage::sqlite
