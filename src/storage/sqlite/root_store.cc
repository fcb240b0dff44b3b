#include "storage/sqlite/root_store.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "storage/change_log.h"

namespace arcana::storage::sqlite {

namespace {
constexpr const char* kRewrapKind = "RewrapRootBlobs";
}  // namespace

namespace {

// Rows read per page: a rewrap holds one page of blobs at a time (each up to 64 KiB), not a
// table, whatever the store's size.
constexpr int kPage = 500;

struct Row {
  std::string a, b, c, blob;
};

// One table of root-wrapped blobs, walked in primary-key order a page at a time. The
// statements are static (the Prepare cache is keyed by the SQL's address); each selects
// `cols` columns: a, [b, [c,]] blob (the blob last), the first `keys` of them the
// primary key.
struct BlobTable {
  const char* first_page;  // ?1 = page size
  const char* next_page;   // ?1[, ?2] = the key of the last row read, ?3 = page size
  const char* update;      // ?1 = the new blob, ?2[, ?3] = the key
  int cols;
  int keys;
};

// The page of t after `after` (null: the first page). The statement is reset before
// returning, so the table may be updated before the next page is read; updates change only
// blobs, never keys, so paging by key neither skips nor repeats a row.
Result<std::vector<Row>> ReadPage(Conn& c, const BlobTable& t, const Row* after) {
  sqlite3_stmt* st = c.Prepare(after ? t.next_page : t.first_page);
  if (!st) return DbError(c.db(), "prepare");
  if (after) {
    BindText(st, 1, after->a);
    if (t.keys == 2) BindText(st, 2, after->b);
    sqlite3_bind_int(st, 3, kPage);
  } else {
    sqlite3_bind_int(st, 1, kPage);
  }
  std::vector<Row> rows;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row r;
    r.a = ColText(st, 0);
    if (t.cols >= 3) r.b = ColText(st, 1);
    if (t.cols >= 4) r.c = ColText(st, 2);
    r.blob = ColText(st, t.cols - 1);
    rows.push_back(std::move(r));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return DbError(c.db(), "read root-wrapped blobs");
  return rows;
}

// Calls fn for every row of t, a page at a time: its new blob replaces the row's (nullopt
// leaves it), each written before the next page is read.
Status RewrapTable(Conn& c, const BlobTable& t,
                   const std::function<Result<std::optional<std::string>>(Row&)>& fn,
                   size_t& changed) {
  Row last;
  for (bool first = true;; first = false) {
    ARCANA_ASSIGN_OR_RETURN(auto rows, ReadPage(c, t, first ? nullptr : &last));
    for (auto& r : rows) {
      ARCANA_ASSIGN_OR_RETURN(auto nb, fn(r));
      if (!nb) continue;
      sqlite3_stmt* st = c.Prepare(t.update);
      if (!st) return DbError(c.db(), "prepare");
      BindBlob(st, 1, *nb);
      BindText(st, 2, r.a);
      if (t.keys == 2) BindText(st, 3, r.b);
      if (sqlite3_step(st) != SQLITE_DONE) return DbError(c.db(), "rewrap root-wrapped blob");
      ++changed;
    }
    if (rows.size() < static_cast<size_t>(kPage)) return Status::Ok();
    last.a = std::move(rows.back().a);
    last.b = std::move(rows.back().b);
  }
}

// The root's access keys, IAM users' keys, STS sessions and IAM entities' secrets, by id: each
// sealed for (id, account, principal), the principal of the latter three as
// storage/identity_store.h names it.
constexpr BlobTable kKeyTables[] = {
    {"SELECT id, account, principal, sealed FROM access_keys ORDER BY id LIMIT ?1",
     "SELECT id, account, principal, sealed FROM access_keys WHERE id > ?1 "
     "ORDER BY id LIMIT ?3",
     "UPDATE access_keys SET sealed = ?1 WHERE id = ?2", 4, 1},
    {"SELECT id, account, 'user:' || user_key, sealed FROM iam_access_keys ORDER BY id LIMIT ?1",
     "SELECT id, account, 'user:' || user_key, sealed FROM iam_access_keys WHERE id > ?1 "
     "ORDER BY id LIMIT ?3",
     "UPDATE iam_access_keys SET sealed = ?1 WHERE id = ?2", 4, 1},
    {"SELECT id, account, 'sts-session', sealed FROM sts_sessions ORDER BY id LIMIT ?1",
     "SELECT id, account, 'sts-session', sealed FROM sts_sessions WHERE id > ?1 "
     "ORDER BY id LIMIT ?3",
     "UPDATE sts_sessions SET sealed = ?1 WHERE id = ?2", 4, 1},
    {"SELECT id, account, 'iam-entity:' || kind, sealed FROM iam_entity_secrets "
     "ORDER BY id LIMIT ?1",
     "SELECT id, account, 'iam-entity:' || kind, sealed FROM iam_entity_secrets WHERE id > ?1 "
     "ORDER BY id LIMIT ?3",
     "UPDATE iam_entity_secrets SET sealed = ?1 WHERE id = ?2", 4, 1},
};
// Secret values, by (arn, version id).
constexpr BlobTable kSecretValues = {
    "SELECT arn, version_id, sealed FROM secret_values ORDER BY arn, version_id LIMIT ?1",
    "SELECT arn, version_id, sealed FROM secret_values WHERE (arn, version_id) > (?1, ?2) "
    "ORDER BY arn, version_id LIMIT ?3",
    "UPDATE secret_values SET sealed = ?1 WHERE arn = ?2 AND version_id = ?3", 3, 2};
// KMS key materials, by (key id, material id).
constexpr BlobTable kKeyMaterials = {
    "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
    "ORDER BY key_id, material_id LIMIT ?1",
    "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
    "WHERE (key_id, material_id) > (?1, ?2) ORDER BY key_id, material_id LIMIT ?3",
    "UPDATE kms_key_materials SET wrapped = ?1 WHERE key_id = ?2 AND material_id = ?3", 4, 2};
// EventBridge connections' credentials, by ARN (unique).
constexpr BlobTable kConnectionSecrets = {
    "SELECT arn, sealed FROM event_connections WHERE kind = 'connection' AND sealed <> '' "
    "ORDER BY arn LIMIT ?1",
    "SELECT arn, sealed FROM event_connections WHERE kind = 'connection' AND sealed <> '' "
    "AND arn > ?1 ORDER BY arn LIMIT ?3",
    "UPDATE event_connections SET sealed = ?1 WHERE arn = ?2", 2, 1};

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

  for (const auto& t : kKeyTables) {
    ARCANA_RETURN_IF_ERROR(RewrapTable(
        *c, t,
        [&](Row& r) {
          RootWrappedBlob b{RootWrappedBlob::Kind::kAccessKeySecret, r.a, "", std::move(r.blob)};
          b.account = r.b;
          b.principal = r.c;
          return fn(b);
        },
        changed));
  }
  ARCANA_RETURN_IF_ERROR(RewrapTable(
      *c, kSecretValues,
      [&](Row& r) {
        return fn(RootWrappedBlob{RootWrappedBlob::Kind::kSecretValue, r.a, r.b, std::move(r.blob)});
      },
      changed));
  ARCANA_RETURN_IF_ERROR(RewrapTable(
      *c, kKeyMaterials,
      [&](Row& r) {
        RootWrappedBlob b{RootWrappedBlob::Kind::kKmsKeyMaterial, r.a, r.b, std::move(r.blob)};
        b.aad = r.c;
        return fn(b);
      },
      changed));
  ARCANA_RETURN_IF_ERROR(RewrapTable(
      *c, kConnectionSecrets,
      [&](Row& r) {
        return fn(RootWrappedBlob{RootWrappedBlob::Kind::kEventConnectionSecret, r.a, "",
                                  std::move(r.blob)});
      },
      changed));

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
