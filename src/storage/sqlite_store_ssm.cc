// SqliteStore's ParameterStore part (SSM Parameter Store): tables ssm_parameters (one row per
// parameter: metadata JSON, tier and expiry for counting and sweeping) and ssm_values (one row
// per kept version; SecureString values sealed before they get here).
#include <string>
#include <vector>

#include "storage/parameter_codec.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_store.h"

namespace arcana::storage {

using namespace sqlite;  // NOLINT: the plumbing this file is built on

namespace {

const char* const kSsmMigrations[] = {
    // 1: parameters and their version values.
    R"sql(
    CREATE TABLE ssm_parameters (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      key        TEXT NOT NULL,
      tier       TEXT NOT NULL,
      expires_ms INTEGER,
      meta       TEXT NOT NULL,
      PRIMARY KEY (account, region, key)
    ) WITHOUT ROWID;
    CREATE INDEX ssm_parameters_by_expiry ON ssm_parameters(expires_ms)
      WHERE expires_ms IS NOT NULL;
    CREATE TABLE ssm_values (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      key        TEXT NOT NULL,
      version    INTEGER NOT NULL,
      value      BLOB NOT NULL,
      PRIMARY KEY (account, region, key, version)
    ) WITHOUT ROWID;
    )sql",
};

Result<std::optional<domain::ssm::Parameter>> OneParameter(Conn& c, sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<domain::ssm::Parameter>();
  if (rc != SQLITE_ROW) return DbError(c.db(), "read parameter");
  std::string meta = ColText(st, 0);
  sqlite3_reset(st);
  ARCANA_ASSIGN_OR_RETURN(auto p, DecodeParameterMetadata(meta));
  return std::optional<domain::ssm::Parameter>(std::move(p));
}

Status DeleteOne(Conn& c, const Scope& scope, const std::string& key, bool* deleted) {
  sqlite3_stmt* st =
      c.Prepare("DELETE FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c.db(), "delete parameter");
  *deleted = sqlite3_changes(c.db()) > 0;
  sqlite3_stmt* v =
      c.Prepare("DELETE FROM ssm_values WHERE account = ? AND region = ? AND key = ?");
  if (!v) return DbError(c.db(), "prepare");
  BindText(v, 1, scope.account);
  BindText(v, 2, scope.region);
  BindText(v, 3, key);
  if (sqlite3_step(v) != SQLITE_DONE) return DbError(c.db(), "delete parameter values");
  return Status::Ok();
}

}  // namespace

sqlite::Migrations SsmMigrations() {
  return {"ssm", kSsmMigrations, sizeof(kSsmMigrations) / sizeof(kSsmMigrations[0])};
}

Result<std::optional<domain::ssm::Parameter>> SqliteStore::GetParameter(const Scope& scope,
                                                                         const std::string& key) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  return OneParameter(*c, st);
}

Result<std::vector<domain::ssm::Parameter>> SqliteStore::ListParameters(
    const Scope& scope, const std::string& key_prefix, const std::string& after_key) {
  ARCANA_LEASE(c, pool_);
  // Names are ASCII: the prefix range is [prefix, prefix with its last byte + 1).
  std::string upper = key_prefix;
  if (upper.empty()) {
    upper = "\x7f";
  } else {
    upper.back() = static_cast<char>(upper.back() + 1);
  }
  std::string lower = after_key > key_prefix ? after_key : key_prefix;
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, key FROM ssm_parameters WHERE account = ? AND region = ? AND key >= ? "
      "AND key < ? ORDER BY key");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, lower);
  BindText(st, 4, upper);
  std::vector<domain::ssm::Parameter> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!after_key.empty() && ColText(st, 1) == after_key) continue;
    auto p = DecodeParameterMetadata(ColText(st, 0));
    if (!p.ok()) {
      sqlite3_reset(st);
      return p.status();
    }
    out.push_back(std::move(p).value());
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list parameters");
  return out;
}

Result<std::optional<std::string>> SqliteStore::GetParameterValue(const Scope& scope,
                                                                  const std::string& key,
                                                                  int64_t version) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT value FROM ssm_values WHERE account = ? AND region = ? AND key = ? AND version = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  sqlite3_bind_int64(st, 4, version);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read parameter value");
  std::string v = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(v));
}

Result<std::map<int64_t, std::string>> SqliteStore::GetParameterValues(const Scope& scope,
                                                                       const std::string& key) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT version, value FROM ssm_values WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  std::map<int64_t, std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.emplace(sqlite3_column_int64(st, 0), ColText(st, 1));
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "read parameter values");
  return out;
}

Result<ParameterCounts> SqliteStore::CountParameters(const Scope& scope) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT tier, COUNT(*) FROM ssm_parameters WHERE account = ? AND region = ? GROUP BY tier");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  ParameterCounts out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    (ColText(st, 0) == "Advanced" ? out.advanced : out.standard) += sqlite3_column_int64(st, 1);
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "count parameters");
  return out;
}

Status SqliteStore::CommitParameter(const ParameterWrite& w) {
  ARCANA_LEASE(c, pool_);
  ARCANA_RETURN_IF_ERROR(c->Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const char* what) {
    Status s = DbError(c->db(), what);
    (void)c->Exec("ROLLBACK");
    return s;
  };
  const auto& p = w.parameter;
  sqlite3_stmt* st = c->Prepare(
      "INSERT INTO ssm_parameters (account, region, key, tier, expires_ms, meta) "
      "VALUES (?,?,?,?,?,?) ON CONFLICT(account, region, key) DO UPDATE SET "
      "tier = excluded.tier, expires_ms = excluded.expires_ms, meta = excluded.meta");
  if (!st) return fail("prepare");
  BindText(st, 1, p.account);
  BindText(st, 2, p.region);
  BindText(st, 3, p.key);
  BindText(st, 4, p.Latest().tier);
  if (auto exp = p.ExpiresMs()) {
    sqlite3_bind_int64(st, 5, *exp);
  } else {
    sqlite3_bind_null(st, 5);
  }
  BindText(st, 6, EncodeParameterMetadata(p));
  if (sqlite3_step(st) != SQLITE_DONE) return fail("write parameter");
  for (int64_t v : w.removed_versions) {
    sqlite3_stmt* d = c->Prepare(
        "DELETE FROM ssm_values WHERE account = ? AND region = ? AND key = ? AND version = ?");
    if (!d) return fail("prepare");
    BindText(d, 1, p.account);
    BindText(d, 2, p.region);
    BindText(d, 3, p.key);
    sqlite3_bind_int64(d, 4, v);
    if (sqlite3_step(d) != SQLITE_DONE) return fail("prune parameter version");
  }
  for (const auto& v : w.new_values) {
    sqlite3_stmt* ins = c->Prepare(
        "INSERT OR REPLACE INTO ssm_values (account, region, key, version, value) "
        "VALUES (?,?,?,?,?)");
    if (!ins) return fail("prepare");
    BindText(ins, 1, p.account);
    BindText(ins, 2, p.region);
    BindText(ins, 3, p.key);
    sqlite3_bind_int64(ins, 4, v.version);
    BindBlob(ins, 5, v.value);
    if (sqlite3_step(ins) != SQLITE_DONE) return fail("write parameter value");
  }
  if (sqlite3_exec(c->db(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("commit");
  }
  return Status::Ok();
}

Result<std::vector<std::string>> SqliteStore::DeleteParameters(
    const Scope& scope, const std::vector<std::string>& keys) {
  ARCANA_LEASE(c, pool_);
  ARCANA_RETURN_IF_ERROR(c->Exec("BEGIN IMMEDIATE"));
  std::vector<std::string> deleted;
  for (const auto& key : keys) {
    bool gone = false;
    Status st = DeleteOne(*c, scope, key, &gone);
    if (!st.ok()) {
      (void)c->Exec("ROLLBACK");
      return st;
    }
    if (gone) deleted.push_back(key);
  }
  if (sqlite3_exec(c->db(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    Status s = DbError(c->db(), "commit");
    (void)c->Exec("ROLLBACK");
    return s;
  }
  return deleted;
}

Result<std::vector<ParameterRef>> SqliteStore::ListParametersExpiredBefore(int64_t now_ms) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, region, key FROM ssm_parameters "
      "WHERE expires_ms IS NOT NULL AND expires_ms <= ?");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  std::vector<ParameterRef> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({{ColText(st, 0), ColText(st, 1)}, ColText(st, 2)});
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list expired parameters");
  return out;
}

}  // namespace arcana::storage
