#include "storage/sqlite/access_key_store.h"

#include <algorithm>

#include "storage/sqlite/meta_store.h"

namespace arcana::storage::sqlite {

namespace {
constexpr const char* kService = "arcana";

AccessKeyRecord ReadKey(sqlite3_stmt* st) {
  AccessKeyRecord k;
  k.access_key_id = ColText(st, 0);
  k.sealed_secret = ColText(st, 1);
  k.account_id = ColText(st, 2);
  k.principal_arn = ColText(st, 3);
  k.created_ms = sqlite3_column_int64(st, 4);
  return k;
}
}  // namespace

Status SqliteAccessKeyStore::PutAccessKey(const AccessKeyRecord& k) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO access_keys (id, sealed, account, principal, created_ms) "
        "VALUES (?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, k.access_key_id);
    BindBlob(st, 2, k.sealed_secret);
    BindText(st, 3, k.account_id);
    BindText(st, 4, k.principal_arn);
    sqlite3_bind_int64(st, 5, k.created_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
      sqlite3_reset(st);
      return Status(ErrorCode::kResourceExists, "access key " + k.access_key_id + " exists");
    }
    if (rc != SQLITE_DONE) return DbError(c.db(), "write access key");
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, k.sealed_secret));
    return txn.AddChange(k.account_id, "", kService, k.access_key_id, "CreateAccessKey");
  });
}

Result<std::optional<AccessKeyRecord>> SqliteAccessKeyStore::GetAccessKey(const std::string& id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, sealed, account, principal, created_ms FROM access_keys WHERE id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<AccessKeyRecord>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read access key");
  auto k = ReadKey(st);
  sqlite3_reset(st);
  return std::optional<AccessKeyRecord>(std::move(k));
}

Result<std::vector<AccessKeyRecord>> SqliteAccessKeyStore::ListAccessKeys(
    const std::string& after_id, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, sealed, account, principal, created_ms FROM access_keys WHERE id > ? "
      "ORDER BY id LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, after_id);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<AccessKeyRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadKey(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list access keys");
  return out;
}

Status SqliteAccessKeyStore::DeleteAccessKey(const std::string& id) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("SELECT account FROM access_keys WHERE id = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) return Status(ErrorCode::kResourceNotFound, "no access key " + id);
    if (rc != SQLITE_ROW) return DbError(c.db(), "read access key");
    std::string account = ColText(st, 0);
    sqlite3_reset(st);
    sqlite3_stmt* del = c.Prepare("DELETE FROM access_keys WHERE id = ?");
    if (!del) return DbError(c.db(), "prepare");
    BindText(del, 1, id);
    ARCANA_RETURN_IF_ERROR(Step(c, del, "delete access key"));
    return txn.AddChange(account, "", kService, id, "DeleteAccessKey");
  });
}

}  // namespace arcana::storage::sqlite
