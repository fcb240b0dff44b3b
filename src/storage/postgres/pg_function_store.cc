#include "storage/postgres/pg_function_store.h"

#include <algorithm>

namespace arcana::storage::pg {

namespace {

const char* const kFunctionsV1 = R"sql(
CREATE TABLE rotation_functions (
  account    TEXT COLLATE "C" NOT NULL,
  region     TEXT COLLATE "C" NOT NULL,
  name       TEXT COLLATE "C" NOT NULL,
  kind       TEXT NOT NULL,
  target     TEXT NOT NULL,
  handler    TEXT NOT NULL,
  env        TEXT NOT NULL,
  timeout_s  BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  PRIMARY KEY (account, region, name)
);
)sql";

// 2: functions made through the Lambda API: their attributes and deployment package.
const char* const kFunctionsV2 = R"sql(
ALTER TABLE rotation_functions ADD COLUMN lambda TEXT NOT NULL DEFAULT '',
                               ADD COLUMN code BYTEA NOT NULL DEFAULT ''::bytea;
)sql";

#define FUNCTION_COLUMNS \
  "account, region, name, kind, target, handler, env, timeout_s, created_ms, lambda"

RotationFunction Decode(const pqxx::row& r) {
  RotationFunction f{Text(r[0]), Text(r[1]), Text(r[2]), Text(r[3]), Text(r[4]),
                     Text(r[5]), Text(r[6]), Int(r[7]),  Int(r[8]),  Text(r[9])};
  if (r.size() > 10) f.code = Bytes(r[10]);
  if (r.size() > 11) f.policy = Text(r[11]);
  return f;
}

}  // namespace

// 3: a function's resource-based policy (Lambda's AddPermission).
const char* const kFunctionsV3 =
    "ALTER TABLE rotation_functions ADD COLUMN policy TEXT NOT NULL DEFAULT '';";

// 4: which packages are still run (PackagesInUse: each node's unpacked-code cache).
const char* const kFunctionsV4 =
    "CREATE INDEX rotation_functions_by_package ON rotation_functions (target) "
    "WHERE kind = 'zip';";

Migrations PgFunctionStore::Schema() {
  return {"functions", {kFunctionsV1, kFunctionsV2, kFunctionsV3, kFunctionsV4}};
}

Status PgFunctionStore::CreateFunction(const RotationFunction& f) {
  return db_.Write("create function", [&](Tx& tx) -> Status {
    auto r = tx.Exec("INSERT INTO rotation_functions (" FUNCTION_COLUMNS
                     ", code) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                     "ON CONFLICT DO NOTHING RETURNING 1",
                     {f.account, f.region, f.name, f.kind, f.target, f.handler, f.env_json,
                      f.timeout_s, f.created_ms, f.lambda_json, Param::Bytes(f.code)});
    if (r.empty()) return Status(ErrorCode::kResourceExists, "Function already exist: " + f.name);
    return Status::Ok();
  });
}

Result<std::optional<RotationFunction>> PgFunctionStore::GetFunction(const Scope& scope,
                                                                     const std::string& name) {
  std::optional<RotationFunction> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read function", [&](Tx& tx) {
    auto r = tx.Exec("SELECT " FUNCTION_COLUMNS ", code, policy FROM rotation_functions "
                     "WHERE account = $1 AND region = $2 AND name = $3",
                     {scope.account, scope.region, name});
    if (!r.empty()) out = Decode(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<RotationFunction>> PgFunctionStore::ListFunctions(const Scope& scope,
                                                                     const std::string& after_name,
                                                                     size_t limit) {
  std::vector<RotationFunction> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list functions", [&](Tx& tx) {
    out.clear();
    for (const auto& row :
         // The policy, not the package: Lambda's RevisionId covers the policy (services/lambda).
         tx.Exec("SELECT " FUNCTION_COLUMNS ", ''::bytea, policy FROM rotation_functions "
                 "WHERE account = $1 AND region = $2 AND name > $3 ORDER BY name LIMIT $4",
                 {scope.account, scope.region, after_name, std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgFunctionStore::DeleteFunction(const Scope& scope, const std::string& name) {
  return db_.Write("delete function", [&](Tx& tx) -> Status {
    auto r = tx.Exec("DELETE FROM rotation_functions WHERE account = $1 AND region = $2 "
                     "AND name = $3 RETURNING 1",
                     {scope.account, scope.region, name});
    if (r.empty()) return Status(ErrorCode::kResourceNotFound, "Function not found: " + name);
    return Status::Ok();
  });
}

Status PgFunctionStore::SetFunctionPolicy(const Scope& scope, const std::string& name,
                                          const std::string& expected, const std::string& policy) {
  return db_.Write("write function policy", [&](Tx& tx) -> Status {
    auto r = tx.Exec("UPDATE rotation_functions SET policy = $4 WHERE account = $1 AND "
                     "region = $2 AND name = $3 AND policy = $5 RETURNING 1",
                     {scope.account, scope.region, name, policy, expected});
    if (!r.empty()) return Status::Ok();
    auto exists = tx.Exec("SELECT 1 FROM rotation_functions WHERE account = $1 AND region = $2 "
                          "AND name = $3",
                          {scope.account, scope.region, name});
    if (!exists.empty()) return Status(ErrorCode::kWriteConflict, "function policy " + name);
    return Status(ErrorCode::kResourceNotFound, "Function not found: " + name);
  });
}

Status PgFunctionStore::UpdateFunction(const RotationFunction& expected,
                                       const RotationFunction& updated) {
  return db_.Write("update function", [&](Tx& tx) -> Status {
    auto r = tx.Exec("UPDATE rotation_functions SET target = $4, handler = $5, env = $6, "
                     "timeout_s = $7, lambda = $8, code = $9 WHERE account = $1 AND region = $2 "
                     "AND name = $3 AND target = $10 AND handler = $11 AND env = $12 AND "
                     "timeout_s = $13 AND created_ms = $14 AND lambda = $15 AND policy = $16 "
                     "RETURNING 1",
                     {expected.account, expected.region, expected.name, updated.target,
                      updated.handler, updated.env_json, updated.timeout_s, updated.lambda_json,
                      Param::Bytes(updated.code), expected.target, expected.handler,
                      expected.env_json, expected.timeout_s, expected.created_ms,
                      expected.lambda_json, expected.policy});
    if (!r.empty()) return Status::Ok();
    auto exists = tx.Exec("SELECT 1 FROM rotation_functions WHERE account = $1 AND region = $2 "
                          "AND name = $3",
                          {expected.account, expected.region, expected.name});
    if (!exists.empty()) return Status(ErrorCode::kWriteConflict, "function " + expected.name);
    return Status(ErrorCode::kResourceNotFound, "Function not found: " + expected.name);
  });
}

Result<std::vector<std::string>> PgFunctionStore::PackagesInUse(
    const std::vector<std::string>& sha256_hex) {
  std::vector<std::string> asked(
      sha256_hex.begin(), sha256_hex.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                   sha256_hex.size(), kMaxListLimit)));
  std::vector<std::string> out;
  if (asked.empty()) return out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read function packages", [&](Tx& tx) {
    out.clear();
    for (const auto& row :
         tx.Exec("SELECT DISTINCT target FROM rotation_functions WHERE kind = 'zip' AND "
                 "target = ANY($1::text[])",
                 {Param::TextArray(asked)})) {
      out.push_back(Text(row[0]));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace arcana::storage::pg
