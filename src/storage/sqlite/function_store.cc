#include "storage/sqlite/function_store.h"

#include <algorithm>

namespace arcana::storage::sqlite {

namespace {
const char* const kFunctionMigrations[] = {
    // 1: rotation functions, per account and region.
    R"sql(
    CREATE TABLE rotation_functions (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      name       TEXT NOT NULL,
      kind       TEXT NOT NULL,
      target     TEXT NOT NULL,
      handler    TEXT NOT NULL,
      env        TEXT NOT NULL,
      timeout_s  INTEGER NOT NULL,
      created_ms INTEGER NOT NULL,
      PRIMARY KEY (account, region, name)
    ) WITHOUT ROWID;
    )sql",
    // 2: functions made through the Lambda API: their attributes and deployment package.
    R"sql(
    ALTER TABLE rotation_functions ADD COLUMN lambda TEXT NOT NULL DEFAULT '';
    ALTER TABLE rotation_functions ADD COLUMN code BLOB NOT NULL DEFAULT x'';
    )sql",
    // 3: a function's resource-based policy (Lambda's AddPermission).
    R"sql(
    ALTER TABLE rotation_functions ADD COLUMN policy TEXT NOT NULL DEFAULT '';
    )sql",
    // 4: which packages are still run (PackagesInUse: each node's unpacked-code cache).
    R"sql(
    CREATE INDEX rotation_functions_by_package ON rotation_functions (target)
      WHERE kind = 'zip';
    )sql",
};

// Statements are cached by address (Conn::Prepare): every SQL text here is a literal.
#define FUNCTION_COLUMNS \
  "account, region, name, kind, target, handler, env, timeout_s, created_ms, lambda"

RotationFunction ReadFunction(sqlite3_stmt* st) {
  RotationFunction f;
  f.account = ColText(st, 0);
  f.region = ColText(st, 1);
  f.name = ColText(st, 2);
  f.kind = ColText(st, 3);
  f.target = ColText(st, 4);
  f.handler = ColText(st, 5);
  f.env_json = ColText(st, 6);
  f.timeout_s = sqlite3_column_int64(st, 7);
  f.created_ms = sqlite3_column_int64(st, 8);
  f.lambda_json = ColText(st, 9);
  if (sqlite3_column_count(st) > 10) {
    const void* blob = sqlite3_column_blob(st, 10);
    f.code.assign(static_cast<const char*>(blob), blob ? sqlite3_column_bytes(st, 10) : 0);
  }
  if (sqlite3_column_count(st) > 11) f.policy = ColText(st, 11);
  return f;
}
}  // namespace

Migrations SqliteFunctionStore::Schema() {
  return {"functions", kFunctionMigrations, std::size(kFunctionMigrations)};
}

Status SqliteFunctionStore::CreateFunction(const RotationFunction& f) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("INSERT INTO rotation_functions (" FUNCTION_COLUMNS
                                 ", code) VALUES (?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, f.account);
    BindText(st, 2, f.region);
    BindText(st, 3, f.name);
    BindText(st, 4, f.kind);
    BindText(st, 5, f.target);
    BindText(st, 6, f.handler);
    BindText(st, 7, f.env_json);
    sqlite3_bind_int64(st, 8, f.timeout_s);
    sqlite3_bind_int64(st, 9, f.created_ms);
    BindText(st, 10, f.lambda_json);
    BindBlob(st, 11, f.code);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "create function"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kResourceExists, "Function already exist: " + f.name);
    }
    return Status::Ok();
  });
}

Result<std::optional<RotationFunction>> SqliteFunctionStore::GetFunction(
    const Scope& scope, const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare("SELECT " FUNCTION_COLUMNS
                                ", code, policy FROM rotation_functions WHERE account = ? AND "
                                "region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<RotationFunction>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read function");
  RotationFunction f = ReadFunction(st);
  sqlite3_reset(st);
  return std::optional<RotationFunction>(std::move(f));
}

Result<std::vector<RotationFunction>> SqliteFunctionStore::ListFunctions(
    const Scope& scope, const std::string& after_name, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  // The policy, not the package: Lambda's RevisionId covers the policy (services/lambda).
  sqlite3_stmt* st = c->Prepare("SELECT " FUNCTION_COLUMNS
                                ", x'', policy FROM rotation_functions WHERE account = ? AND "
                                "region = ? AND name > ? ORDER BY name LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, after_name);
  sqlite3_bind_int64(st, 4, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<RotationFunction> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadFunction(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list functions");
  return out;
}

Status SqliteFunctionStore::DeleteFunction(const Scope& scope, const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM rotation_functions WHERE account = ? AND region = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete function"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kResourceNotFound, "Function not found: " + name);
    }
    return Status::Ok();
  });
}

Status SqliteFunctionStore::SetFunctionPolicy(const Scope& scope, const std::string& name,
                                              const std::string& expected,
                                              const std::string& policy) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE rotation_functions SET policy = ? WHERE account = ? AND region = ? AND name = ? "
        "AND policy = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, policy);
    BindText(st, 2, scope.account);
    BindText(st, 3, scope.region);
    BindText(st, 4, name);
    BindText(st, 5, expected);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write function policy"));
    if (sqlite3_changes(c.db()) != 0) return Status::Ok();
    sqlite3_stmt* exists = c.Prepare(
        "SELECT 1 FROM rotation_functions WHERE account = ? AND region = ? AND name = ?");
    if (!exists) return DbError(c.db(), "prepare");
    BindText(exists, 1, scope.account);
    BindText(exists, 2, scope.region);
    BindText(exists, 3, name);
    int rc = sqlite3_step(exists);
    sqlite3_reset(exists);
    if (rc == SQLITE_ROW) return Conflict("function policy " + name);
    if (rc != SQLITE_DONE) return DbError(c.db(), "read function");
    return Status(ErrorCode::kResourceNotFound, "Function not found: " + name);
  });
}

Status SqliteFunctionStore::UpdateFunction(const RotationFunction& expected,
                                           const RotationFunction& updated) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE rotation_functions SET target = ?, handler = ?, env = ?, timeout_s = ?, "
        "lambda = ?, code = ? WHERE account = ? AND region = ? AND name = ? AND target = ? AND "
        "handler = ? AND env = ? AND timeout_s = ? AND created_ms = ? AND lambda = ? AND "
        "policy = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, updated.target);
    BindText(st, 2, updated.handler);
    BindText(st, 3, updated.env_json);
    sqlite3_bind_int64(st, 4, updated.timeout_s);
    BindText(st, 5, updated.lambda_json);
    BindBlob(st, 6, updated.code);
    BindText(st, 7, expected.account);
    BindText(st, 8, expected.region);
    BindText(st, 9, expected.name);
    BindText(st, 10, expected.target);
    BindText(st, 11, expected.handler);
    BindText(st, 12, expected.env_json);
    sqlite3_bind_int64(st, 13, expected.timeout_s);
    sqlite3_bind_int64(st, 14, expected.created_ms);
    BindText(st, 15, expected.lambda_json);
    BindText(st, 16, expected.policy);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "update function"));
    if (sqlite3_changes(c.db()) != 0) return Status::Ok();
    sqlite3_stmt* exists = c.Prepare(
        "SELECT 1 FROM rotation_functions WHERE account = ? AND region = ? AND name = ?");
    if (!exists) return DbError(c.db(), "prepare");
    BindText(exists, 1, expected.account);
    BindText(exists, 2, expected.region);
    BindText(exists, 3, expected.name);
    int rc = sqlite3_step(exists);
    sqlite3_reset(exists);
    if (rc == SQLITE_ROW) return Conflict("function " + expected.name);
    if (rc != SQLITE_DONE) return DbError(c.db(), "read function");
    return Status(ErrorCode::kResourceNotFound, "Function not found: " + expected.name);
  });
}

Result<std::vector<std::string>> SqliteFunctionStore::PackagesInUse(
    const std::vector<std::string>& sha256_hex) {
  ARCANA_LEASE(c, db_.pool());
  // One indexed probe per digest (rotation_functions_by_package): a statement of its own per
  // list length would defeat the statement cache.
  sqlite3_stmt* st = c->Prepare(
      "SELECT 1 FROM rotation_functions WHERE kind = 'zip' AND target = ? LIMIT 1");
  if (!st) return DbError(c->db(), "prepare");
  std::vector<std::string> out;
  const size_t n = std::min(sha256_hex.size(), kMaxListLimit);
  for (size_t i = 0; i < n; ++i) {
    BindText(st, 1, sha256_hex[i]);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) {
      out.push_back(sha256_hex[i]);
    } else if (rc != SQLITE_DONE) {
      return DbError(c->db(), "read function packages");
    }
  }
  return out;
}

}  // namespace arcana::storage::sqlite
