#include "storage/sqlite/secret_store.h"

#include <array>

#include "storage/secret_codec.h"

namespace arcana::storage::sqlite {

namespace {

// Numbered migrations of the secrets component (see database.h).
const char* const kSecretsMigrations[] = {
    // 1: secrets, their sealed values, access keys.
    R"sql(
    CREATE TABLE secrets (
      arn        TEXT PRIMARY KEY,
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      name       TEXT NOT NULL,
      deleted_ms INTEGER,
      meta       TEXT NOT NULL
    );
    CREATE UNIQUE INDEX secrets_by_name ON secrets(account, region, name);
    CREATE INDEX secrets_by_deletion ON secrets(deleted_ms) WHERE deleted_ms IS NOT NULL;
    CREATE TABLE secret_values (
      arn        TEXT NOT NULL,
      version_id TEXT NOT NULL,
      sealed     BLOB NOT NULL,
      PRIMARY KEY (arn, version_id)
    ) WITHOUT ROWID;
    CREATE TABLE access_keys (
      id         TEXT PRIMARY KEY,
      sealed     BLOB NOT NULL,
      account    TEXT NOT NULL,
      principal  TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    );
    )sql",
    // 2: optimistic concurrency (revision) and the ListSecrets orders, each served by an
    // index on (scope, sort key, arn) so a page is one bounded index range scan.
    R"sql(
    ALTER TABLE secrets ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    ALTER TABLE secrets ADD COLUMN created_ms INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE secrets ADD COLUMN changed_ms INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE secrets ADD COLUMN accessed_ms INTEGER NOT NULL DEFAULT 0;
    UPDATE secrets SET created_ms = COALESCE(json_extract(meta, '$.created'), 0),
                       changed_ms = COALESCE(json_extract(meta, '$.changed'), 0),
                       accessed_ms = COALESCE(json_extract(meta, '$.accessed'), 0);
    CREATE INDEX secrets_by_created ON secrets(account, region, created_ms, arn);
    CREATE INDEX secrets_by_changed ON secrets(account, region, changed_ms, arn);
    CREATE INDEX secrets_by_accessed ON secrets(account, region, accessed_ms, arn);
    CREATE INDEX secrets_by_name_arn ON secrets(account, region, name, arn);
    )sql",
};

constexpr const char* kService = "secretsmanager";

Result<std::optional<domain::sm::Secret>> OneSecret(Conn& c, sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<domain::sm::Secret>();
  if (rc != SQLITE_ROW) return DbError(c.db(), "read secret");
  std::string meta = ColText(st, 0);
  int64_t revision = sqlite3_column_int64(st, 1);
  sqlite3_reset(st);
  ARCANA_ASSIGN_OR_RETURN(auto s, DecodeSecretMetadata(meta));
  s.revision = revision;
  return std::optional<domain::sm::Secret>(std::move(s));
}

// The ListSecrets statements: [order][descending][has after]. Parameters: ?1 account,
// ?2 region, ?3 include deleted (0/1), ?4 now_ms, ?5 after key, ?6 after arn, ?7 limit.
const std::string& ListSql(SecretOrder order, bool descending, bool after) {
  static const std::array<std::string, 16> kSql = [] {
    std::array<std::string, 16> out;
    const char* cols[] = {"created_ms", "name", "changed_ms", "accessed_ms"};
    for (int o = 0; o < 4; ++o) {
      for (int d = 0; d < 2; ++d) {
        for (int a = 0; a < 2; ++a) {
          std::string col = cols[o];
          std::string dir = d ? " DESC" : "";
          std::string sql =
              "SELECT meta, revision FROM secrets WHERE account = ?1 AND region = ?2 "
              "AND (deleted_ms IS NULL OR (?3 AND deleted_ms > ?4))";
          if (a) sql += " AND (" + col + ", arn) " + (d ? "<" : ">") + " (?5, ?6)";
          sql += " ORDER BY " + col + dir + ", arn" + dir + " LIMIT ?7";
          out[o * 4 + d * 2 + a] = sql;
        }
      }
    }
    return out;
  }();
  return kSql[static_cast<int>(order) * 4 + (descending ? 2 : 0) + (after ? 1 : 0)];
}

std::string DefaultWriteKind(const SecretWrite& w) {
  if (!w.change.empty()) return w.change;
  return w.secret.revision == 0 ? "CreateSecret" : "UpdateSecret";
}

Status WriteSecret(WriteTxn& txn, const SecretWrite& w) {
  Conn& c = txn.conn();
  const auto& s = w.secret;
  sqlite3_stmt* st =
      s.revision == 0
          ? c.Prepare(
                "INSERT INTO secrets (account, region, name, deleted_ms, meta, created_ms, "
                "changed_ms, accessed_ms, revision, arn) VALUES (?,?,?,?,?,?,?,?,1,?)")
          : c.Prepare(
                "UPDATE secrets SET account = ?, region = ?, name = ?, deleted_ms = ?, "
                "meta = ?, created_ms = ?, changed_ms = ?, accessed_ms = ?, "
                "revision = revision + 1 WHERE arn = ? AND revision = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, s.account);
  BindText(st, 2, s.region);
  BindText(st, 3, s.name);
  BindOptInt(st, 4, s.deleted_ms);
  BindText(st, 5, EncodeSecretMetadata(s));
  sqlite3_bind_int64(st, 6, s.created_ms);
  sqlite3_bind_int64(st, 7, s.last_changed_ms.value_or(0));
  sqlite3_bind_int64(st, 8, s.last_accessed_ms.value_or(0));
  BindText(st, 9, s.arn);
  if (s.revision != 0) sqlite3_bind_int64(st, 10, s.revision);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) {
    // The ARN, or the name in its scope, is taken: another write created it first.
    sqlite3_reset(st);
    return Conflict("secret " + s.name);
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "write secret");
  if (sqlite3_changes(c.db()) == 0) return Conflict("secret " + s.name);
  for (const auto& id : w.removed_versions) {
    sqlite3_stmt* d = c.Prepare("DELETE FROM secret_values WHERE arn = ? AND version_id = ?");
    if (!d) return DbError(c.db(), "prepare");
    BindText(d, 1, s.arn);
    BindText(d, 2, id);
    ARCANA_RETURN_IF_ERROR(Step(c, d, "prune version"));
  }
  for (const auto& v : w.new_values) {
    sqlite3_stmt* ins = c.Prepare(
        "INSERT OR REPLACE INTO secret_values (arn, version_id, sealed) VALUES (?,?,?)");
    if (!ins) return DbError(c.db(), "prepare");
    BindText(ins, 1, s.arn);
    BindText(ins, 2, v.version_id);
    BindBlob(ins, 3, v.sealed);
    ARCANA_RETURN_IF_ERROR(Step(c, ins, "write value"));
  }
  return txn.AddChange(s.account, s.region, kService, s.arn, DefaultWriteKind(w));
}

Status DeleteSecret(WriteTxn& txn, const SecretDelete& d) {
  Conn& c = txn.conn();
  sqlite3_stmt* st = c.Prepare("SELECT account, region, revision FROM secrets WHERE arn = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, d.arn);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) {
    if (d.expected_revision != 0) return Conflict("secret " + d.arn);
    return Status::Ok();  // already gone
  }
  if (rc != SQLITE_ROW) return DbError(c.db(), "read secret");
  std::string account = ColText(st, 0), region = ColText(st, 1);
  int64_t revision = sqlite3_column_int64(st, 2);
  sqlite3_reset(st);
  if (d.expected_revision != 0 && d.expected_revision != revision) {
    return Conflict("secret " + d.arn);
  }
  for (const char* sql : {"DELETE FROM secret_values WHERE arn = ?",
                          "DELETE FROM secrets WHERE arn = ?"}) {
    sqlite3_stmt* del = c.Prepare(sql);
    if (!del) return DbError(c.db(), "prepare");
    BindText(del, 1, d.arn);
    ARCANA_RETURN_IF_ERROR(Step(c, del, "delete secret"));
  }
  return txn.AddChange(account, region, kService, d.arn,
                       d.change.empty() ? std::string("DeleteSecret") : d.change);
}

}  // namespace

Migrations SqliteSecretStore::Schema() {
  return {"secrets", kSecretsMigrations, std::size(kSecretsMigrations)};
}

Result<std::optional<domain::sm::Secret>> SqliteSecretStore::GetSecretByArn(
    const std::string& arn) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare("SELECT meta, revision FROM secrets WHERE arn = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, arn);
  return OneSecret(*c, st);
}

Result<std::optional<domain::sm::Secret>> SqliteSecretStore::GetSecretByName(
    const Scope& scope, const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM secrets WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, name);
  return OneSecret(*c, st);
}

Result<std::vector<domain::sm::Secret>> SqliteSecretStore::ListSecrets(const Scope& scope,
                                                                       const SecretQuery& q) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(ListSql(q.order, q.descending, q.after.has_value()).c_str());
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  sqlite3_bind_int(st, 3, q.include_deleted ? 1 : 0);
  sqlite3_bind_int64(st, 4, q.now_ms);
  if (q.after) {
    if (q.order == SecretOrder::kName) {
      BindText(st, 5, q.after->name);
    } else {
      sqlite3_bind_int64(st, 5, q.after->number);
    }
    BindText(st, 6, q.after->arn);
  }
  sqlite3_bind_int64(st, 7, static_cast<int64_t>(std::min(q.limit, kMaxListLimit)));
  std::vector<domain::sm::Secret> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto s = DecodeSecretMetadata(ColText(st, 0));
    if (!s.ok()) {
      sqlite3_reset(st);
      return s.status();
    }
    s->revision = sqlite3_column_int64(st, 1);
    out.push_back(std::move(s).value());
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list secrets");
  return out;
}

Result<std::vector<std::string>> SqliteSecretStore::ListSecretsDeletedBefore(int64_t now_ms,
                                                                             size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT arn FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= ? "
      "ORDER BY deleted_ms LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ColText(st, 0));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list deleted");
  return out;
}

Result<std::optional<std::string>> SqliteSecretStore::GetSealedValue(
    const std::string& arn, const std::string& version_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st =
      c->Prepare("SELECT sealed FROM secret_values WHERE arn = ? AND version_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, arn);
  BindText(st, 2, version_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read value");
  std::string v = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(v));
}

Status SqliteSecretStore::Commit(const std::vector<SecretWrite>& writes,
                                 const std::vector<SecretDelete>& deletes) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    for (const auto& d : deletes) ARCANA_RETURN_IF_ERROR(DeleteSecret(txn, d));
    for (const auto& w : writes) ARCANA_RETURN_IF_ERROR(WriteSecret(txn, w));
    return Status::Ok();
  });
}

Status SqliteSecretStore::WipeSecrets() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?, account, region, 'secretsmanager', arn, 'WipeResources' FROM secrets");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, st, "record wipe"));
    txn.MarkChanged();
    return c.Exec("DELETE FROM secret_values; DELETE FROM secrets;");
  });
}

}  // namespace arcana::storage::sqlite
