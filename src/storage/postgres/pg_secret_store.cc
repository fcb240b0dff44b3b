#include "storage/postgres/pg_secret_store.h"

#include "storage/secret_codec.h"

namespace arcana::storage::pg {

namespace {

constexpr const char* kService = "secretsmanager";

// Sort keys are copies of metadata fields, kept beside it so an index serves every order:
// last_changed_ms / last_accessed_ms are 0 when the secret has none (secret_store.h).
const char* const kSecretsV1 = R"sql(
CREATE TABLE secrets (
  arn              TEXT COLLATE "C" PRIMARY KEY,
  account          TEXT COLLATE "C" NOT NULL,
  region           TEXT COLLATE "C" NOT NULL,
  name             TEXT COLLATE "C" NOT NULL,
  revision         BIGINT NOT NULL,
  created_ms       BIGINT NOT NULL,
  last_changed_ms  BIGINT NOT NULL,
  last_accessed_ms BIGINT NOT NULL,
  deleted_ms       BIGINT,
  meta             TEXT NOT NULL
);
CREATE UNIQUE INDEX secrets_by_name ON secrets (account, region, name);
CREATE INDEX secrets_by_name_arn ON secrets (account, region, name, arn);
CREATE INDEX secrets_by_created ON secrets (account, region, created_ms, arn);
CREATE INDEX secrets_by_changed ON secrets (account, region, last_changed_ms, arn);
CREATE INDEX secrets_by_accessed ON secrets (account, region, last_accessed_ms, arn);
CREATE INDEX secrets_by_deletion ON secrets (deleted_ms) WHERE deleted_ms IS NOT NULL;
CREATE TABLE secret_values (
  arn        TEXT COLLATE "C" NOT NULL,
  version_id TEXT COLLATE "C" NOT NULL,
  sealed     BYTEA NOT NULL,
  PRIMARY KEY (arn, version_id)
);
)sql";

Result<domain::sm::Secret> Decode(const pqxx::row& row) {  // (revision, meta)
  ARCANA_ASSIGN_OR_RETURN(auto s, DecodeSecretMetadata(Text(row[1])));
  s.revision = Int(row[0]);
  return s;
}

Result<std::optional<domain::sm::Secret>> DecodeOne(const pqxx::result& r) {
  if (r.empty()) return std::optional<domain::sm::Secret>();
  ARCANA_ASSIGN_OR_RETURN(auto s, Decode(r[0]));
  return std::optional<domain::sm::Secret>(std::move(s));
}

const char* OrderColumn(SecretOrder order) {
  switch (order) {
    case SecretOrder::kCreated: return "created_ms";
    case SecretOrder::kName: return "name";
    case SecretOrder::kLastChanged: return "last_changed_ms";
    case SecretOrder::kLastAccessed: return "last_accessed_ms";
  }
  return "created_ms";
}

Status Conflict(const std::string& arn) {
  return Status(ErrorCode::kWriteConflict,
                "secret " + arn + " was changed by another writer since it was read");
}

}  // namespace

Migrations PgSecretStore::Schema() { return {"secrets", {kSecretsV1}}; }

Result<std::optional<domain::sm::Secret>> PgSecretStore::GetSecretByArn(const std::string& arn) {
  Result<std::optional<domain::sm::Secret>> out = std::optional<domain::sm::Secret>();
  ARCANA_RETURN_IF_ERROR(db_.Read("get secret", [&](Tx& tx) {
    out = DecodeOne(tx.Exec("SELECT revision, meta FROM secrets WHERE arn = $1", {arn}));
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<domain::sm::Secret>> PgSecretStore::GetSecretByName(
    const Scope& scope, const std::string& name) {
  Result<std::optional<domain::sm::Secret>> out = std::optional<domain::sm::Secret>();
  ARCANA_RETURN_IF_ERROR(db_.Read("get secret", [&](Tx& tx) {
    out = DecodeOne(tx.Exec(
        "SELECT revision, meta FROM secrets WHERE account = $1 AND region = $2 AND name = $3",
        {scope.account, scope.region, name}));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<domain::sm::Secret>> PgSecretStore::ListSecrets(const Scope& scope,
                                                                   const SecretQuery& q) {
  // SELECT ... WHERE scope AND <deletion filter> [AND (key, arn) >|< (after)]
  //   ORDER BY key dir, arn dir LIMIT n: a keyset scan of the order's index, either way.
  const std::string col = OrderColumn(q.order);
  const char* dir = q.descending ? "DESC" : "ASC";
  Params params{scope.account, scope.region};
  std::string sql = "SELECT revision, meta FROM secrets WHERE account = $1 AND region = $2";
  if (q.include_deleted) {
    params.emplace_back(q.now_ms);
    sql += " AND (deleted_ms IS NULL OR deleted_ms > $" + std::to_string(params.size()) + ")";
  } else {
    sql += " AND deleted_ms IS NULL";
  }
  if (q.after) {
    if (q.order == SecretOrder::kName) {
      params.emplace_back(q.after->name);
    } else {
      params.emplace_back(q.after->number);
    }
    params.emplace_back(q.after->arn);
    const size_t n = params.size();
    sql += " AND (" + col + ", arn) " + (q.descending ? "<" : ">") + " ($" +
           std::to_string(n - 1) + ", $" + std::to_string(n) + ")";
  }
  params.emplace_back(std::min(q.limit, kMaxListLimit));
  sql += " ORDER BY " + col + " " + dir + ", arn " + dir + " LIMIT $" +
         std::to_string(params.size());

  std::vector<domain::sm::Secret> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list secrets", [&](Tx& tx) -> Status {
    for (const auto& row : tx.Exec(sql, params)) {
      ARCANA_ASSIGN_OR_RETURN(auto s, Decode(row));
      out.push_back(std::move(s));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::string>> PgSecretStore::ListSecretsDeletedBefore(int64_t now_ms,
                                                                         size_t limit) {
  std::vector<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list deleted secrets", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT arn FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= $1 "
             "ORDER BY deleted_ms, arn LIMIT $2",
             {now_ms, std::min(limit, kMaxListLimit)})) {
      out.push_back(Text(row[0]));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<std::string>> PgSecretStore::GetSealedValue(const std::string& arn,
                                                                 const std::string& version_id) {
  std::optional<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read secret value", [&](Tx& tx) {
    auto r = tx.Exec("SELECT sealed FROM secret_values WHERE arn = $1 AND version_id = $2",
                     {arn, version_id});
    if (!r.empty()) out = Bytes(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Status PgSecretStore::Commit(const std::vector<SecretWrite>& writes,
                             const std::vector<SecretDelete>& deletes) {
  return db_.Write("commit secrets", [&](Tx& tx) -> Status {
    for (const auto& d : deletes) {
      auto r = d.expected_revision == 0
                   ? tx.Exec("DELETE FROM secrets WHERE arn = $1 RETURNING account, region",
                             {d.arn})
                   : tx.Exec(
                         "DELETE FROM secrets WHERE arn = $1 AND revision = $2 "
                         "RETURNING account, region",
                         {d.arn, d.expected_revision});
      if (r.empty() && d.expected_revision != 0) return Conflict(d.arn);
      tx.Exec("DELETE FROM secret_values WHERE arn = $1", {d.arn});
      if (!r.empty()) {
        tx.AddChange({0, 0, Text(r[0][0]), Text(r[0][1]), kService, d.arn, d.change});
      }
    }
    for (const auto& w : writes) {
      const auto& s = w.secret;
      const std::string meta = EncodeSecretMetadata(s);
      const int64_t changed = s.last_changed_ms.value_or(0);
      const int64_t accessed = s.last_accessed_ms.value_or(0);
      pqxx::result r;
      if (s.revision == 0) {
        // Any unique violation (ARN, or the name in its scope) means it exists: a conflict.
        r = tx.Exec(
            "INSERT INTO secrets (arn, account, region, name, revision, created_ms, "
            "last_changed_ms, last_accessed_ms, deleted_ms, meta) "
            "VALUES ($1, $2, $3, $4, 1, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING RETURNING 1",
            {s.arn, s.account, s.region, s.name, s.created_ms, changed, accessed, s.deleted_ms,
             meta});
      } else {
        r = tx.Exec(
            "UPDATE secrets SET name = $2, created_ms = $3, last_changed_ms = $4, "
            "last_accessed_ms = $5, deleted_ms = $6, meta = $7, revision = revision + 1 "
            "WHERE arn = $1 AND revision = $8 RETURNING 1",
            {s.arn, s.name, s.created_ms, changed, accessed, s.deleted_ms, meta, s.revision});
      }
      if (r.empty()) return Conflict(s.arn);
      if (!w.removed_versions.empty()) {
        tx.Exec("DELETE FROM secret_values WHERE arn = $1 AND version_id = ANY($2::text[])",
                {s.arn, Param::TextArray(w.removed_versions)});
      }
      for (const auto& v : w.new_values) {
        tx.Exec(
            "INSERT INTO secret_values (arn, version_id, sealed) VALUES ($1, $2, $3) "
            "ON CONFLICT (arn, version_id) DO UPDATE SET sealed = excluded.sealed",
            {s.arn, v.version_id, Param::Bytes(v.sealed)});
      }
      tx.AddChange({0, 0, s.account, s.region, kService, s.arn, w.change});
    }
    return Status::Ok();
  });
}

Status PgSecretStore::WipeSecrets() {
  return db_.Write("wipe secrets", [&](Tx& tx) {
    tx.Exec("DELETE FROM secret_values");
    for (const auto& row : tx.Exec("DELETE FROM secrets RETURNING account, region, arn")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService, Text(row[2]), "WipeSecrets"});
    }
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
