#include "storage/sqlite/root_store.h"

#include "storage/change_log.h"

namespace arcana::storage::sqlite {

namespace {
constexpr const char* kRewrapKind = "RewrapRootBlobs";
}  // namespace

namespace {

struct Row {
  std::string a, b, c, d, blob;
};

// Reads rows of `cols` columns: a, [b, [c, [d,]]] blob (the blob is the last column).
Result<std::vector<Row>> ReadRows(Conn& c, const char* sql, int cols) {
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row r;
    r.a = ColText(st, 0);
    if (cols >= 3) r.b = ColText(st, 1);
    if (cols >= 4) r.c = ColText(st, 2);
    if (cols >= 5) r.d = ColText(st, 3);
    r.blob = ColText(st, cols - 1);
    rows.push_back(std::move(r));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return DbError(c.db(), "read root-wrapped blobs");
  return rows;
}

}  // namespace

namespace {
Status ApplyMeta(Conn& c, const std::vector<std::pair<std::string, std::string>>& puts,
                 const std::vector<std::string>& deletes) {
  for (const auto& [k, v] : puts) {
    sqlite3_stmt* st = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, k);
    BindBlob(st, 2, v);
    if (sqlite3_step(st) != SQLITE_DONE) return DbError(c.db(), "write meta");
  }
  for (const auto& k : deletes) {
    sqlite3_stmt* st = c.Prepare("DELETE FROM meta WHERE key = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, k);
    if (sqlite3_step(st) != SQLITE_DONE) return DbError(c.db(), "delete meta");
  }
  return Status::Ok();
}

// The whole rewrap, inside one write transaction (see RewrapRootBlobs).
Status RewrapAll(WriteTxn& txn, const std::vector<std::string>& meta_keys,
                 const RootOfTrustStore::RewrapFn& fn,
                 const std::vector<std::pair<std::string, std::string>>& puts,
                 const std::vector<std::string>& deletes, size_t& changed) {
  changed = 0;
  Conn* c = &txn.conn();

  // The root's access keys, IAM users' keys and STS sessions: each sealed for (id, account,
  // principal), the principal of the latter two as storage/identity_store.h names it.
  static const std::pair<const char*, const char*> kKeyTables[] = {
      {"SELECT id, account, principal, sealed FROM access_keys",
       "UPDATE access_keys SET sealed = ? WHERE id = ?"},
      {"SELECT id, account, 'user:' || user_key, sealed FROM iam_access_keys",
       "UPDATE iam_access_keys SET sealed = ? WHERE id = ?"},
      {"SELECT id, account, 'sts-session', sealed FROM sts_sessions",
       "UPDATE sts_sessions SET sealed = ? WHERE id = ?"},
  };
  for (const auto& [select, update] : kKeyTables) {
    ARCANA_ASSIGN_OR_RETURN(auto keys, ReadRows(*c, select, 4));
    for (auto& r : keys) {
      RootWrappedBlob b{RootWrappedBlob::Kind::kAccessKeySecret, r.a, "", std::move(r.blob)};
      b.account = r.b;
      b.principal = r.c;
      ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
      if (!nb) continue;
      sqlite3_stmt* st = c->Prepare(update);
      if (!st) return DbError(c->db(), "prepare");
      BindBlob(st, 1, *nb);
      BindText(st, 2, r.a);
      if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "rewrap access key");
      ++changed;
    }
  }

  ARCANA_ASSIGN_OR_RETURN(auto values,
                          ReadRows(*c, "SELECT arn, version_id, sealed FROM secret_values", 3));
  for (auto& r : values) {
    RootWrappedBlob b{RootWrappedBlob::Kind::kSecretValue, r.a, r.b, std::move(r.blob)};
    ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
    if (!nb) continue;
    sqlite3_stmt* st =
        c->Prepare("UPDATE secret_values SET sealed = ? WHERE arn = ? AND version_id = ?");
    if (!st) return DbError(c->db(), "prepare");
    BindBlob(st, 1, *nb);
    BindText(st, 2, r.a);
    BindText(st, 3, r.b);
    if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "rewrap secret value");
    ++changed;
  }

  ARCANA_ASSIGN_OR_RETURN(
      auto materials,
      ReadRows(*c, "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials", 4));
  for (auto& r : materials) {
    RootWrappedBlob b{RootWrappedBlob::Kind::kKmsKeyMaterial, r.a, r.b, std::move(r.blob)};
    b.aad = r.c;
    ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
    if (!nb) continue;
    sqlite3_stmt* st = c->Prepare(
        "UPDATE kms_key_materials SET wrapped = ? WHERE key_id = ? AND material_id = ?");
    if (!st) return DbError(c->db(), "prepare");
    BindBlob(st, 1, *nb);
    BindText(st, 2, r.a);
    BindText(st, 3, r.b);
    if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "rewrap key material");
    ++changed;
  }

  for (const auto& k : meta_keys) {
    sqlite3_stmt* st = c->Prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return DbError(c->db(), "prepare");
    BindText(st, 1, k);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      sqlite3_reset(st);
      continue;
    }
    if (rc != SQLITE_ROW) return DbError(c->db(), "read meta");
    RootWrappedBlob b{RootWrappedBlob::Kind::kMeta, k, "", ColText(st, 0)};
    sqlite3_reset(st);
    ARCANA_ASSIGN_OR_RETURN(auto nb, fn(b));
    if (!nb) continue;
    sqlite3_stmt* up = c->Prepare("UPDATE meta SET value = ? WHERE key = ?");
    if (!up) return DbError(c->db(), "prepare");
    BindBlob(up, 1, *nb);
    BindText(up, 2, k);
    if (sqlite3_step(up) != SQLITE_DONE) return DbError(c->db(), "rewrap meta");
    ++changed;
  }
  // Sealed bytes changed under unchanged metadata: one change tells every cache of them.
  ARCANA_RETURN_IF_ERROR(txn.AddChange("", "", "arcana", Change::kRootResource, kRewrapKind));
  return ApplyMeta(*c, puts, deletes);
}
}  // namespace

Result<size_t> SqliteRootStore::RewrapRootBlobs(
    const std::vector<std::string>& meta_keys, const RewrapFn& fn,
    const std::vector<std::pair<std::string, std::string>>& puts,
    const std::vector<std::string>& deletes) {
  size_t changed = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) {
    return RewrapAll(txn, meta_keys, fn, puts, deletes, changed);
  }));
  return changed;
}

Status SqliteRootStore::UpdateMeta(const std::vector<std::pair<std::string, std::string>>& puts,
                                   const std::vector<std::string>& deletes) {
  return db_.Write([&](WriteTxn& txn) { return ApplyMeta(txn.conn(), puts, deletes); });
}

}  // namespace arcana::storage::sqlite
