#include "storage/postgres/pg_meta_store.h"

#include "common/root_blob.h"
#include "storage/root_guard.h"

namespace arcana::storage::pg {

namespace {

const char* const kMetaV1 = R"sql(
CREATE TABLE meta (
  key   TEXT COLLATE "C" PRIMARY KEY,
  value BYTEA NOT NULL
);
)sql";

}  // namespace

void PutMetaIn(Tx& tx, const std::string& key, const std::string& value) {
  tx.Exec(
      "INSERT INTO meta (key, value) VALUES ($1, $2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      {key, Param::Bytes(value)});
}

void DeleteMetaIn(Tx& tx, const std::string& key) {
  tx.Exec("DELETE FROM meta WHERE key = $1", {key});
}

Status CheckSealedUnderStoreRoot(Tx& tx, std::string_view blob) {
  if (root_blob::KeyIdOf(blob).empty()) return Status::Ok();  // nothing to compare: no read
  std::string check, rotating;
  for (const auto& row : tx.Exec("SELECT key, value FROM meta WHERE key IN ($1, $2)",
                                 {root_blob::kCheckMeta, root_blob::kRotatingMeta})) {
    (Text(row[0]) == root_blob::kCheckMeta ? check : rotating) = Bytes(row[1]);
  }
  return JudgeSealedUnderStoreRoot(blob, check, rotating);
}

Migrations PgMetaStore::Schema() { return {"meta", {kMetaV1}}; }

Result<std::optional<std::string>> PgMetaStore::GetMeta(const std::string& key) {
  std::optional<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read meta", [&](Tx& tx) {
    auto r = tx.Exec("SELECT value FROM meta WHERE key = $1", {key});
    if (!r.empty()) out = Bytes(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Status PgMetaStore::PutMeta(const std::string& key, const std::string& value) {
  return db_.Write("write meta", [&](Tx& tx) {
    PutMetaIn(tx, key, value);
    return Status::Ok();
  });
}

Result<std::string> PgMetaStore::PutMetaIfAbsent(const std::string& key,
                                                 const std::string& value) {
  std::string out;
  ARCANA_RETURN_IF_ERROR(db_.Write("write meta", [&](Tx& tx) -> Status {
    // The insert waits for a concurrent insert of the same key to end; the SELECT that
    // follows (a new snapshot under READ COMMITTED) then sees whichever value won.
    tx.Exec("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            {key, Param::Bytes(value)});
    auto r = tx.Exec("SELECT value FROM meta WHERE key = $1", {key});
    if (r.empty()) {
      return Status(ErrorCode::kInternalServiceError, "meta " + key + " vanished while written");
    }
    out = Bytes(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> PgMetaStore::ListMeta(
    const std::string& prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read meta", [&](Tx& tx) {
    // key is COLLATE "C" (bytewise): those starting with prefix follow it, contiguously.
    for (const auto& row : tx.Exec("SELECT key, value FROM meta WHERE key >= $1 ORDER BY key",
                                   {prefix})) {
      std::string key = Text(row[0]);
      if (!key.starts_with(prefix)) break;
      out.emplace_back(std::move(key), Bytes(row[1]));
    }
    return Status::Ok();
  }));
  return out;
}

}  // namespace arcana::storage::pg
