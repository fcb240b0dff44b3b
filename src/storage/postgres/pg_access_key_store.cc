#include "storage/postgres/pg_access_key_store.h"

#include "storage/postgres/pg_meta_store.h"

namespace arcana::storage::pg {

namespace {

constexpr const char* kService = "arcana";

const char* const kAccessKeysV1 = R"sql(
CREATE TABLE access_keys (
  id         TEXT COLLATE "C" PRIMARY KEY,
  sealed     BYTEA NOT NULL,
  account    TEXT COLLATE "C" NOT NULL,
  principal  TEXT NOT NULL,
  created_ms BIGINT NOT NULL
);
)sql";

constexpr const char* kColumns = "SELECT id, sealed, account, principal, created_ms FROM access_keys ";

AccessKeyRecord Decode(const pqxx::row& row) {
  return {Text(row[0]), Bytes(row[1]), Text(row[2]), Text(row[3]), Int(row[4])};
}

}  // namespace

Migrations PgAccessKeyStore::Schema() { return {"access_keys", {kAccessKeysV1}}; }

Status PgAccessKeyStore::PutAccessKey(const AccessKeyRecord& k) {
  return db_.Write("write access key", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "INSERT INTO access_keys (id, sealed, account, principal, created_ms) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
        {k.access_key_id, Param::Bytes(k.sealed_secret), k.account_id, k.principal_arn,
         k.created_ms});
    if (r.empty()) {
      return Status(ErrorCode::kResourceExists, "access key " + k.access_key_id + " exists");
    }
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, k.sealed_secret));
    tx.AddChange({0, 0, k.account_id, "", kService, k.access_key_id, "CreateAccessKey"});
    return Status::Ok();
  });
}

Result<std::optional<AccessKeyRecord>> PgAccessKeyStore::GetAccessKey(const std::string& id) {
  std::optional<AccessKeyRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read access key", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kColumns) + "WHERE id = $1", {id});
    if (!r.empty()) out = Decode(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<AccessKeyRecord>> PgAccessKeyStore::ListAccessKeys(const std::string& after_id,
                                                                      size_t limit) {
  std::vector<AccessKeyRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list access keys", [&](Tx& tx) {
    for (const auto& row : tx.Exec(std::string(kColumns) + "WHERE id > $1 ORDER BY id LIMIT $2",
                                   {after_id, std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgAccessKeyStore::DeleteAccessKey(const std::string& id) {
  return db_.Write("delete access key", [&](Tx& tx) -> Status {
    auto r = tx.Exec("DELETE FROM access_keys WHERE id = $1 RETURNING account", {id});
    if (r.empty()) return Status(ErrorCode::kResourceNotFound, "no access key " + id);
    tx.AddChange({0, 0, Text(r[0][0]), "", kService, id, "DeleteAccessKey"});
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
