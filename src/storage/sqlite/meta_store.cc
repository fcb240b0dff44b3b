#include "storage/sqlite/meta_store.h"

#include "common/root_blob.h"
#include "storage/root_guard.h"

namespace arcana::storage::sqlite {

Result<std::optional<std::string>> SqliteMetaStore::GetMeta(const std::string& key) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare("SELECT value FROM meta WHERE key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, key);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read meta");
  std::string v = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(v));
}

Status SqliteMetaStore::PutMeta(const std::string& key, const std::string& value) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, key);
    BindBlob(st, 2, value);
    return Step(c, st, "write meta");
  });
}

Result<std::string> SqliteMetaStore::PutMetaIfAbsent(const std::string& key,
                                                     const std::string& value) {
  std::string stored;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* ins = c.Prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
    if (!ins) return DbError(c.db(), "prepare");
    BindText(ins, 1, key);
    BindBlob(ins, 2, value);
    ARCANA_RETURN_IF_ERROR(Step(c, ins, "write meta"));
    sqlite3_stmt* st = c.Prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, key);
    if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "read meta");
    stored = ColText(st, 0);
    sqlite3_reset(st);
    return Status::Ok();
  }));
  return stored;
}

Result<std::vector<std::pair<std::string, std::string>>> SqliteMetaStore::ListMeta(
    const std::string& prefix) {
  ARCANA_LEASE(c, db_.pool());
  // Keys compare bytewise (BINARY): those starting with prefix follow it, contiguously.
  sqlite3_stmt* st = c->Prepare("SELECT key, value FROM meta WHERE key >= ? ORDER BY key");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, prefix);
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::string key = ColText(st, 0);
    if (!key.starts_with(prefix)) {
      rc = SQLITE_DONE;
      break;
    }
    out.emplace_back(std::move(key), ColText(st, 1));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return DbError(c->db(), "read meta");
  return out;
}

Status CheckSealedUnderStoreRoot(Conn& c, std::string_view blob) {
  if (root_blob::KeyIdOf(blob).empty()) return Status::Ok();  // nothing to compare: no read
  sqlite3_stmt* st = c.Prepare("SELECT key, value FROM meta WHERE key IN (?, ?)");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, root_blob::kCheckMeta);
  BindText(st, 2, root_blob::kRotatingMeta);
  std::string check, rotating;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    (ColText(st, 0) == root_blob::kCheckMeta ? check : rotating) = ColText(st, 1);
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return DbError(c.db(), "read the root");
  return JudgeSealedUnderStoreRoot(blob, check, rotating);
}

}  // namespace arcana::storage::sqlite
