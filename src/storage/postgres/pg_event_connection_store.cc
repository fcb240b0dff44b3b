#include "storage/postgres/pg_event_connection_store.h"

#include <algorithm>

#include "crypto/base64.h"
#include "storage/postgres/pg_meta_store.h"

namespace arcana::storage::pg {

namespace {

constexpr const char* kConnService = "events";

// The root guard (storage/root_guard.h) on a connection's sealed credentials (base64 text of
// a root-sealed blob), after the row is written (so the rotation's table lock orders the two).
Status CheckConnectionSealedUnderRoot(Tx& tx, const EventConnectionRecord& rec) {
  if (rec.sealed.empty()) return Status::Ok();
  auto raw = crypto::Base64Decode(rec.sealed);
  if (!raw) return Status::Ok();  // not a blob of ours: nothing the root opens either way
  return CheckSealedUnderStoreRoot(tx, *raw);
}

const char* const kEventConnectionsV1 = R"sql(
CREATE TABLE event_connections (
  account       TEXT COLLATE "C" NOT NULL,
  region        TEXT COLLATE "C" NOT NULL,
  kind          TEXT COLLATE "C" NOT NULL,
  name          TEXT COLLATE "C" NOT NULL,
  arn           TEXT NOT NULL,
  state         TEXT NOT NULL,
  document      TEXT NOT NULL,
  sealed        TEXT NOT NULL,
  connection    TEXT COLLATE "C" NOT NULL,
  created_ms    BIGINT NOT NULL,
  modified_ms   BIGINT NOT NULL,
  authorized_ms BIGINT NOT NULL,
  PRIMARY KEY (account, region, kind, name)
);
)sql";

constexpr const char* kEventConnectionSelect =
    "SELECT kind, name, arn, state, document, sealed, connection, created_ms, modified_ms, "
    "authorized_ms FROM event_connections ";

EventConnectionRecord DecodeEventConnection(const pqxx::row& row) {
  EventConnectionRecord r;
  r.kind = Text(row[0]);
  r.name = Text(row[1]);
  r.arn = Text(row[2]);
  r.state = Text(row[3]);
  r.document = Text(row[4]);
  r.sealed = Text(row[5]);
  r.connection = Text(row[6]);
  r.created_ms = Int(row[7]);
  r.modified_ms = Int(row[8]);
  r.authorized_ms = Int(row[9]);
  return r;
}

// A destination's connection, held FOR SHARE for the write; kResourceNotFound when absent.
Status LockDestinationConnection(Tx& tx, const Scope& scope, const EventConnectionRecord& rec) {
  if (rec.kind != kEventApiDestinationKind) return Status::Ok();
  if (tx.Exec("SELECT 1 FROM event_connections WHERE account = $1 AND region = $2 AND "
              "kind = $3 AND name = $4 FOR SHARE",
              {scope.account, scope.region, kEventConnectionKind, rec.connection})
          .empty()) {
    return Status(ErrorCode::kResourceNotFound, "no connection " + rec.connection);
  }
  return Status::Ok();
}

}  // namespace

// By ARN, as the root key's rotation walks the sealed credentials (root_store.h).
const char* const kEventConnectionsV2 = R"sql(
CREATE UNIQUE INDEX event_connections_by_arn ON event_connections (arn COLLATE "C");
)sql";

Migrations PgEventConnectionStore::Schema() {
  return {"event-connections", {kEventConnectionsV1, kEventConnectionsV2}};
}

Status PgEventConnectionStore::CreateEventConnection(const Scope& scope,
                                                     const EventConnectionRecord& rec) {
  return db_.Write("create connection", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(LockDestinationConnection(tx, scope, rec));
    auto r = tx.Exec(
        "INSERT INTO event_connections (account, region, kind, name, arn, state, document, "
        "sealed, connection, created_ms, modified_ms, authorized_ms) VALUES ($1, $2, $3, $4, "
        "$5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING 1",
        {scope.account, scope.region, rec.kind, rec.name, rec.arn, rec.state, rec.document,
         rec.sealed, rec.connection, rec.created_ms, rec.modified_ms, rec.authorized_ms});
    if (r.empty()) return Status(ErrorCode::kResourceExists, rec.kind + " " + rec.name + " exists");
    ARCANA_RETURN_IF_ERROR(CheckConnectionSealedUnderRoot(tx, rec));
    tx.AddChange({0, 0, scope.account, scope.region, kConnService, rec.arn,
                  EventConnectionOp("Create", rec.kind)});
    return Status::Ok();
  });
}

Result<std::optional<EventConnectionRecord>> PgEventConnectionStore::GetEventConnection(
    const Scope& scope, const std::string& kind, const std::string& name) {
  std::optional<EventConnectionRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read connection", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kEventConnectionSelect) +
                         "WHERE account = $1 AND region = $2 AND kind = $3 AND name = $4",
                     {scope.account, scope.region, kind, name});
    if (!r.empty()) out = DecodeEventConnection(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<EventConnectionRecord>> PgEventConnectionStore::ListEventConnections(
    const Scope& scope, const std::string& kind, const std::string& name_prefix,
    const std::string& state, const std::string& connection, const std::string& after_name,
    size_t limit) {
  std::vector<EventConnectionRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list connections", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec(std::string(kEventConnectionSelect) +
                     "WHERE account = $1 AND region = $2 AND kind = $3 AND name > $4 AND "
                     "starts_with(name, $5) AND ($6::text = '' OR state = $6::text) AND "
                     "($7::text = '' OR connection = $7::text) ORDER BY name LIMIT $8",
                 {scope.account, scope.region, kind, after_name, name_prefix, state,
                  connection, std::min(limit, kMaxListLimit)})) {
      out.push_back(DecodeEventConnection(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventConnectionStore::UpdateEventConnection(const Scope& scope,
                                                     const EventConnectionRecord& rec,
                                                     const EventConnectionRecord& expected,
                                                     const std::string& op) {
  return db_.Write("update connection", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(LockDestinationConnection(tx, scope, rec));
    auto r = tx.Exec(
        "UPDATE event_connections SET state = $1, document = $2, sealed = $3, connection = $4, "
        "modified_ms = $5, authorized_ms = $6 WHERE account = $7 AND region = $8 AND kind = $9 "
        "AND name = $10 AND modified_ms = $11 AND authorized_ms = $12 RETURNING 1",
        {rec.state, rec.document, rec.sealed, rec.connection, rec.modified_ms,
         rec.authorized_ms, scope.account, scope.region, rec.kind, rec.name,
         expected.modified_ms, expected.authorized_ms});
    if (r.empty()) {
      if (!tx.Exec("SELECT 1 FROM event_connections WHERE account = $1 AND region = $2 AND "
                   "kind = $3 AND name = $4",
                   {scope.account, scope.region, rec.kind, rec.name})
               .empty()) {
        return Status(ErrorCode::kWriteConflict, rec.kind + " " + rec.name);
      }
      return Status(ErrorCode::kResourceNotFound, "no " + rec.kind + " " + rec.name);
    }
    ARCANA_RETURN_IF_ERROR(CheckConnectionSealedUnderRoot(tx, rec));
    tx.AddChange({0, 0, scope.account, scope.region, kConnService, rec.arn, op});
    return Status::Ok();
  });
}

Status PgEventConnectionStore::DeleteEventConnection(const Scope& scope, const std::string& kind,
                                                     const std::string& name) {
  return db_.Write("delete connection", [&](Tx& tx) -> Status {
    auto row = tx.Exec(
        "SELECT arn FROM event_connections WHERE account = $1 AND region = $2 AND kind = $3 "
        "AND name = $4 FOR UPDATE",
        {scope.account, scope.region, kind, name});
    if (row.empty()) return Status(ErrorCode::kResourceNotFound, "no " + kind + " " + name);
    const std::string arn = Text(row[0][0]);
    if (kind == kEventConnectionKind &&
        !tx.Exec("SELECT 1 FROM event_connections WHERE account = $1 AND region = $2 AND "
                 "kind = $3 AND connection = $4 LIMIT 1",
                 {scope.account, scope.region, kEventApiDestinationKind, name})
             .empty()) {
      return Status(ErrorCode::kPreconditionNotMet, "connection " + name + " is in use");
    }
    tx.Exec("DELETE FROM event_connections WHERE account = $1 AND region = $2 AND kind = $3 "
            "AND name = $4",
            {scope.account, scope.region, kind, name});
    tx.AddChange({0, 0, scope.account, scope.region, kConnService, arn,
                  EventConnectionOp("Delete", kind)});
    return Status::Ok();
  });
}

Status PgEventConnectionStore::WipeEventConnections() {
  return db_.Write("wipe connections", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("DELETE FROM event_connections RETURNING account, region, arn")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kConnService, Text(row[2]),
                    "WipeResources"});
    }
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
