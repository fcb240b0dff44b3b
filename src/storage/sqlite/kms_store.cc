#include "storage/sqlite/kms_store.h"

#include <algorithm>

#include "domain/kms/grants.h"
#include "domain/kms/rules.h"
#include "storage/kms_codec.h"
#include "storage/sqlite/meta_store.h"

namespace arcana::storage::sqlite {

using domain::kms::Alias;
using domain::kms::Grant;
using domain::kms::Key;

namespace {

const char* const kKmsMigrationSteps[] = {
    // 1: keys (metadata JSON), wrapped key materials, aliases, grants.
    R"sql(
    CREATE TABLE kms_keys (
      account         TEXT NOT NULL,
      region          TEXT NOT NULL,
      key_id          TEXT NOT NULL,
      deletion_ms     INTEGER,
      rotation_due_ms INTEGER,
      meta            TEXT NOT NULL,
      PRIMARY KEY (account, region, key_id)
    ) WITHOUT ROWID;
    CREATE INDEX kms_keys_by_deletion ON kms_keys(deletion_ms) WHERE deletion_ms IS NOT NULL;
    CREATE INDEX kms_keys_by_rotation ON kms_keys(rotation_due_ms) WHERE rotation_due_ms IS NOT NULL;
    CREATE TABLE kms_key_materials (
      key_id      TEXT NOT NULL,
      material_id TEXT NOT NULL,
      aad         TEXT NOT NULL,
      wrapped     BLOB NOT NULL,
      PRIMARY KEY (key_id, material_id)
    ) WITHOUT ROWID;
    CREATE TABLE kms_aliases (
      account       TEXT NOT NULL,
      region        TEXT NOT NULL,
      name          TEXT NOT NULL,
      target_key_id TEXT NOT NULL,
      created_ms    INTEGER NOT NULL,
      updated_ms    INTEGER NOT NULL,
      PRIMARY KEY (account, region, name)
    ) WITHOUT ROWID;
    CREATE INDEX kms_aliases_by_target ON kms_aliases(target_key_id);
    CREATE TABLE kms_grants (
      account   TEXT NOT NULL,
      region    TEXT NOT NULL,
      key_id    TEXT NOT NULL,
      grant_id  TEXT NOT NULL,
      retiring  TEXT NOT NULL,
      meta      TEXT NOT NULL,
      PRIMARY KEY (account, region, key_id, grant_id)
    ) WITHOUT ROWID;
    CREATE INDEX kms_grants_by_retiring ON kms_grants(account, region, retiring);
    )sql",
    // 2: optimistic concurrency (revision); indexes for the paged lists (a key's aliases,
    // grants by retiring principal in grant id order).
    R"sql(
    ALTER TABLE kms_keys ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    DROP INDEX kms_aliases_by_target;
    CREATE INDEX kms_aliases_by_key ON kms_aliases(account, region, target_key_id, name);
    DROP INDEX kms_grants_by_retiring;
    CREATE INDEX kms_grants_by_retiring ON kms_grants(account, region, retiring, grant_id);
    )sql",
    // 3: the keys of one id in every region (multi-Region keys), as PostgreSQL has it.
    R"sql(
    CREATE INDEX kms_keys_by_id ON kms_keys(key_id);
    )sql",
    // 4: each key's last successful cryptographic operation (GetKeyLastUsage; storage/
    // kms_key_usage_store.h), and when tracking began: this step's first run, in ms.
    R"sql(
    CREATE TABLE kms_key_last_usage (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      key_id     TEXT NOT NULL,
      used_ms    INTEGER NOT NULL,
      operation  TEXT NOT NULL,
      request_id TEXT NOT NULL,
      event_id   TEXT NOT NULL,
      PRIMARY KEY (account, region, key_id)
    ) WITHOUT ROWID;
    CREATE TABLE kms_key_usage_tracking (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      since_ms INTEGER NOT NULL
    );
    INSERT INTO kms_key_usage_tracking (id, since_ms)
      VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
    )sql",
    // 5: ListRetirableGrants lists the grants naming a retiring principal on the keys of
    // every account of the region (a grant is stored with its key), so the index no longer
    // leads with the account.
    R"sql(
    DROP INDEX kms_grants_by_retiring;
    CREATE INDEX kms_grants_by_retiring_in_region ON kms_grants(region, retiring, grant_id);
    )sql",
};

constexpr const char* kService = "kms";

std::string KeyArnOf(const std::string& region, const std::string& account,
                     const std::string& key_id) {
  return domain::kms::KeyArn(region, account, key_id);
}

// When the maintenance job must next look at the key (domain/kms/rules.h): automatic
// rotation, imported material expiry, a primary waiting for its replicas' deletion.
std::optional<int64_t> RotationDue(const Key& k) { return domain::kms::NextMaintenanceMs(k); }

// Inserts (revision 0) or updates (at key.revision) the key's row, bumping its revision.
Status WriteKey(Conn& c, const Key& key) {
  sqlite3_stmt* st =
      key.revision == 0
          ? c.Prepare(
                "INSERT INTO kms_keys (deletion_ms, rotation_due_ms, meta, account, region, "
                "key_id, revision) VALUES (?,?,?,?,?,?,1)")
          : c.Prepare(
                "UPDATE kms_keys SET deletion_ms = ?, rotation_due_ms = ?, meta = ?, "
                "revision = revision + 1 WHERE account = ? AND region = ? AND key_id = ? "
                "AND revision = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindOptInt(st, 1, key.deletion_ms);
  BindOptInt(st, 2, RotationDue(key));
  BindText(st, 3, EncodeKmsKey(key));
  BindText(st, 4, key.account);
  BindText(st, 5, key.region);
  BindText(st, 6, key.key_id);
  if (key.revision != 0) sqlite3_bind_int64(st, 7, key.revision);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) {
    sqlite3_reset(st);
    return Status(ErrorCode::kAlreadyExists, "key " + key.key_id + " already exists");
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "write key");
  if (sqlite3_changes(c.db()) == 0) return Conflict("key " + key.key_id);
  return Status::Ok();
}

Status WriteMaterials(Conn& c, const std::vector<KeyMaterialRecord>& ms, bool replace = false) {
  for (const auto& m : ms) {
    sqlite3_stmt* st = c.Prepare(
        replace ? "INSERT OR REPLACE INTO kms_key_materials (key_id, material_id, aad, wrapped) "
                  "VALUES (?,?,?,?)"
                : "INSERT INTO kms_key_materials (key_id, material_id, aad, wrapped) "
                  "VALUES (?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, m.key_id);
    BindText(st, 2, m.material_id);
    BindText(st, 3, m.aad);
    BindBlob(st, 4, m.wrapped);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write key material"));
    // Each material is sealed under the root key: written only while that key is the
    // store's root (storage/root_guard.h).
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, m.wrapped));
  }
  return Status::Ok();
}

// Rows of (meta, revision).
Result<std::vector<Key>> ReadKeys(Conn& c, sqlite3_stmt* st) {
  std::vector<Key> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto k = DecodeKmsKey(ColText(st, 0));
    if (!k.ok()) {
      sqlite3_reset(st);
      return k.status();
    }
    k->revision = sqlite3_column_int64(st, 1);
    out.push_back(std::move(k).value());
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "read keys");
  return out;
}

Result<std::vector<Grant>> ReadGrants(Conn& c, sqlite3_stmt* st) {
  std::vector<Grant> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto g = DecodeKmsGrant(ColText(st, 0));
    if (!g.ok()) {
      sqlite3_reset(st);
      return g.status();
    }
    out.push_back(std::move(g).value());
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "read grants");
  return out;
}

Alias ReadAlias(sqlite3_stmt* st) {
  Alias a;
  a.account = ColText(st, 0);
  a.region = ColText(st, 1);
  a.name = ColText(st, 2);
  a.target_key_id = ColText(st, 3);
  a.created_ms = sqlite3_column_int64(st, 4);
  a.updated_ms = sqlite3_column_int64(st, 5);
  return a;
}

Status InsertAlias(Conn& c, const Alias& a) {
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO kms_aliases (account, region, name, target_key_id, created_ms, updated_ms) "
      "VALUES (?,?,?,?,?,?)");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, a.account);
  BindText(st, 2, a.region);
  BindText(st, 3, a.name);
  BindText(st, 4, a.target_key_id);
  sqlite3_bind_int64(st, 5, a.created_ms);
  sqlite3_bind_int64(st, 6, a.updated_ms);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) {
    sqlite3_reset(st);
    return Status(ErrorCode::kAlreadyExists,
                  "An alias with the name " +
                      domain::kms::AliasArn(a.region, a.account, a.name) + " already exists");
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "write alias");
  return Status::Ok();
}

Status AliasChange(WriteTxn& txn, const Alias& a, const char* kind) {
  return txn.AddChange(a.account, a.region, kService,
                       domain::kms::AliasArn(a.region, a.account, a.name), kind);
}

Result<std::vector<KeyMaterialRecord>> ReadMaterials(Conn& c) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
      "ORDER BY key_id, material_id");
  if (!st) return DbError(c.db(), "prepare");
  std::vector<KeyMaterialRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({ColText(st, 0), ColText(st, 1), ColText(st, 2), ColText(st, 3)});
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "list key materials");
  return out;
}

size_t Clamp(size_t limit) { return std::min(limit, kMaxListLimit); }

}  // namespace

// One Change per key that has materials (a rewrap replaced their blobs).
Status AppendKeyMaterialChanges(WriteTxn& txn, const std::string& kind) {
  Conn& c = txn.conn();
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
      "SELECT ?1, account, region, 'kms', 'arn:aws:kms:' || region || ':' || account || "
      "':key/' || key_id, ?2 FROM kms_keys "
      "WHERE key_id IN (SELECT DISTINCT key_id FROM kms_key_materials)");
  if (!st) return DbError(c.db(), "prepare");
  sqlite3_bind_int64(st, 1, txn.now_ms());
  BindText(st, 2, kind);
  ARCANA_RETURN_IF_ERROR(Step(c, st, "record rewrap"));
  txn.MarkChanged();
  return Status::Ok();
}

Migrations SqliteKmsStore::Schema() {
  return {"kms", kKmsMigrationSteps, std::size(kKmsMigrationSteps)};
}

Result<std::optional<Key>> SqliteKmsStore::GetKmsKey(const Scope& scope,
                                                     const std::string& key_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  ARCANA_ASSIGN_OR_RETURN(auto keys, ReadKeys(*c, st));
  if (keys.empty()) return std::optional<Key>();
  return std::optional<Key>(std::move(keys.front()));
}

Result<std::vector<Key>> SqliteKmsStore::ListKmsKeys(const Scope& scope,
                                                     const std::string& after_key_id,
                                                     size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM kms_keys WHERE account = ? AND region = ? AND key_id > ? "
      "ORDER BY key_id LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, after_key_id);
  sqlite3_bind_int64(st, 4, static_cast<int64_t>(Clamp(limit)));
  return ReadKeys(*c, st);
}

Result<std::vector<Key>> SqliteKmsStore::ListKmsKeysDue(int64_t now_ms, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM kms_keys WHERE deletion_ms <= ?1 OR rotation_due_ms <= ?1 "
      "LIMIT ?2");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(Clamp(limit)));
  return ReadKeys(*c, st);
}

Status SqliteKmsStore::PutKmsKey(const Key& key,
                                 const std::vector<KeyMaterialRecord>& new_materials,
                                 const std::string& change) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    ARCANA_RETURN_IF_ERROR(WriteKey(txn.conn(), key));
    ARCANA_RETURN_IF_ERROR(WriteMaterials(txn.conn(), new_materials));
    return txn.AddChange(key.account, key.region, kService,
                         KeyArnOf(key.region, key.account, key.key_id),
                         change.empty() ? std::string(key.revision == 0 ? "CreateKey" : "UpdateKey")
                                        : change);
  });
}

Status SqliteKmsStore::WriteKmsKeys(const std::vector<KmsKeyWrite>& writes,
                                    const std::string& change) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    for (const auto& w : writes) {
      ARCANA_RETURN_IF_ERROR(WriteKey(txn.conn(), w.key));
      ARCANA_RETURN_IF_ERROR(WriteMaterials(txn.conn(), w.put_materials, /*replace=*/true));
      for (const auto& id : w.drop_material_ids) {
        sqlite3_stmt* st = txn.conn().Prepare(
            "DELETE FROM kms_key_materials WHERE key_id = ? AND material_id = ?");
        if (!st) return DbError(txn.conn().db(), "prepare");
        BindText(st, 1, w.key.key_id);
        BindText(st, 2, id);
        ARCANA_RETURN_IF_ERROR(Step(txn.conn(), st, "delete key material"));
      }
      ARCANA_RETURN_IF_ERROR(txn.AddChange(w.key.account, w.key.region, kService,
                                           KeyArnOf(w.key.region, w.key.account, w.key.key_id),
                                           change));
    }
    return Status::Ok();
  });
}

Result<std::vector<Key>> SqliteKmsStore::ListKmsKeyRegions(const std::string& account,
                                                           const std::string& key_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM kms_keys WHERE account = ? AND key_id = ? ORDER BY region "
      "LIMIT 1000");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, key_id);
  return ReadKeys(*c, st);
}

Status SqliteKmsStore::CreateKmsKeyWithAlias(const Key& key,
                                             const std::vector<KeyMaterialRecord>& materials,
                                             const Alias& alias) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    ARCANA_RETURN_IF_ERROR(InsertAlias(txn.conn(), alias));
    ARCANA_RETURN_IF_ERROR(WriteKey(txn.conn(), key));
    ARCANA_RETURN_IF_ERROR(WriteMaterials(txn.conn(), materials));
    ARCANA_RETURN_IF_ERROR(txn.AddChange(key.account, key.region, kService,
                                         KeyArnOf(key.region, key.account, key.key_id),
                                         "CreateKey"));
    return AliasChange(txn, alias, "CreateAlias");
  });
}

Result<std::optional<KeyMaterialRecord>> SqliteKmsStore::GetKeyMaterial(
    const std::string& key_id, const std::string& material_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT aad, wrapped FROM kms_key_materials WHERE key_id = ? AND material_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, key_id);
  BindText(st, 2, material_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<KeyMaterialRecord>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read key material");
  KeyMaterialRecord r{key_id, material_id, ColText(st, 0), ColText(st, 1)};
  sqlite3_reset(st);
  return std::optional<KeyMaterialRecord>(std::move(r));
}

Status SqliteKmsStore::DeleteKmsKey(const Scope& scope, const std::string& key_id,
                                    int64_t expected_revision) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "SELECT revision FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, key_id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(c.db(), "read key");
    const bool exists = rc == SQLITE_ROW;
    const int64_t revision = exists ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (expected_revision != 0 && expected_revision != revision) return Conflict("key " + key_id);
    // The key's aliases go with it: each gets its own Change.
    std::vector<Alias> aliases;
    {
      sqlite3_stmt* a = c.Prepare(
          "SELECT account, region, name, target_key_id, created_ms, updated_ms FROM kms_aliases "
          "WHERE account = ? AND region = ? AND target_key_id = ?");
      if (!a) return DbError(c.db(), "prepare");
      BindText(a, 1, scope.account);
      BindText(a, 2, scope.region);
      BindText(a, 3, key_id);
      while ((rc = sqlite3_step(a)) == SQLITE_ROW) aliases.push_back(ReadAlias(a));
      if (rc != SQLITE_DONE) return DbError(c.db(), "read aliases");
    }
    for (const char* sql :
         {"DELETE FROM kms_keys WHERE account = ?1 AND region = ?2 AND key_id = ?3",
          "DELETE FROM kms_aliases WHERE account = ?1 AND region = ?2 AND target_key_id = ?3",
          "DELETE FROM kms_grants WHERE account = ?1 AND region = ?2 AND key_id = ?3",
          "DELETE FROM kms_key_last_usage WHERE account = ?1 AND region = ?2 AND key_id = ?3"}) {
      sqlite3_stmt* d = c.Prepare(sql);
      if (!d) return DbError(c.db(), "prepare");
      BindText(d, 1, scope.account);
      BindText(d, 2, scope.region);
      BindText(d, 3, key_id);
      ARCANA_RETURN_IF_ERROR(Step(c, d, "delete key"));
    }
    // A multi-Region key's other regions still use the (shared) materials.
    sqlite3_stmt* m = c.Prepare(
        "DELETE FROM kms_key_materials WHERE key_id = ?1 AND NOT EXISTS "
        "(SELECT 1 FROM kms_keys WHERE account = ?2 AND key_id = ?1)");
    if (!m) return DbError(c.db(), "prepare");
    BindText(m, 1, key_id);
    BindText(m, 2, scope.account);
    ARCANA_RETURN_IF_ERROR(Step(c, m, "delete key materials"));
    for (const auto& a : aliases) ARCANA_RETURN_IF_ERROR(AliasChange(txn, a, "DeleteAlias"));
    if (!exists) return Status::Ok();
    return txn.AddChange(scope.account, scope.region, kService,
                         KeyArnOf(scope.region, scope.account, key_id), "DeleteKey");
  });
}

Result<std::optional<Alias>> SqliteKmsStore::GetKmsAlias(const Scope& scope,
                                                         const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, region, name, target_key_id, created_ms, updated_ms FROM kms_aliases "
      "WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<Alias>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read alias");
  Alias a = ReadAlias(st);
  sqlite3_reset(st);
  return std::optional<Alias>(std::move(a));
}

Result<std::vector<Alias>> SqliteKmsStore::ListKmsAliases(const Scope& scope,
                                                          const std::string& key_id,
                                                          const std::string& after_name,
                                                          size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st =
      key_id.empty()
          ? c->Prepare(
                "SELECT account, region, name, target_key_id, created_ms, updated_ms "
                "FROM kms_aliases WHERE account = ?1 AND region = ?2 AND name > ?4 "
                "ORDER BY name LIMIT ?5")
          : c->Prepare(
                "SELECT account, region, name, target_key_id, created_ms, updated_ms "
                "FROM kms_aliases WHERE account = ?1 AND region = ?2 AND target_key_id = ?3 "
                "AND name > ?4 ORDER BY name LIMIT ?5");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  if (!key_id.empty()) BindText(st, 3, key_id);
  BindText(st, 4, after_name);
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(Clamp(limit)));
  std::vector<Alias> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadAlias(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list aliases");
  return out;
}

// SQLite has one writer: the key read and the count below stay true until this write
// commits, so concurrent alias writes take the key's last places one at a time (kms_store.h).
Status SqliteKmsStore::PutKmsAlias(const Alias& a, bool create, size_t max_per_key) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // The first column of the first row of `sql` (nullopt: no row), with the alias's account
    // and region bound first, then `third`.
    auto read = [&](const char* sql,
                    const std::string& third) -> Result<std::optional<std::string>> {
      sqlite3_stmt* st = c.Prepare(sql);
      if (!st) return DbError(c.db(), "prepare");
      BindText(st, 1, a.account);
      BindText(st, 2, a.region);
      BindText(st, 3, third);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) return std::optional<std::string>();
      if (rc != SQLITE_ROW) return DbError(c.db(), "read alias target");
      std::string v = ColText(st, 0);
      sqlite3_reset(st);
      return std::optional<std::string>(std::move(v));
    };
    ARCANA_ASSIGN_OR_RETURN(
        auto key, read("SELECT key_id FROM kms_keys WHERE account = ? AND region = ? AND "
                       "key_id = ?",
                       a.target_key_id));
    if (!key) {
      return Status(ErrorCode::kKmsNotFound,
                    "Key '" + KeyArnOf(a.region, a.account, a.target_key_id) + "' does not exist");
    }
    bool keeps_key = false;  // an update to the key the alias names already adds nothing
    if (!create) {
      ARCANA_ASSIGN_OR_RETURN(
          auto current, read("SELECT target_key_id FROM kms_aliases WHERE account = ? AND "
                             "region = ? AND name = ?",
                             a.name));
      if (!current) {
        return Status(ErrorCode::kKmsNotFound,
                      "Alias " + domain::kms::AliasArn(a.region, a.account, a.name) +
                          " is not found.");
      }
      keeps_key = *current == a.target_key_id;
    }
    if (!keeps_key) {
      ARCANA_ASSIGN_OR_RETURN(
          auto on_key, read("SELECT count(*) FROM kms_aliases WHERE account = ? AND "
                            "region = ? AND target_key_id = ?",
                            a.target_key_id));
      if (on_key && std::stoll(*on_key) >= static_cast<long long>(max_per_key)) {
        return Status(ErrorCode::kKmsLimitExceeded,
                      "Too many aliases on " + KeyArnOf(a.region, a.account, a.target_key_id));
      }
    }
    if (create) {
      ARCANA_RETURN_IF_ERROR(InsertAlias(c, a));
      return AliasChange(txn, a, "CreateAlias");
    }
    sqlite3_stmt* st = c.Prepare(
        "UPDATE kms_aliases SET target_key_id = ?, updated_ms = ? "
        "WHERE account = ? AND region = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, a.target_key_id);
    sqlite3_bind_int64(st, 2, a.updated_ms);
    BindText(st, 3, a.account);
    BindText(st, 4, a.region);
    BindText(st, 5, a.name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "update alias"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kKmsNotFound,
                    "Alias " + domain::kms::AliasArn(a.region, a.account, a.name) +
                        " is not found.");
    }
    return AliasChange(txn, a, "UpdateAlias");
  });
}

Status SqliteKmsStore::DeleteKmsAlias(const Scope& scope, const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st =
        c.Prepare("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete alias"));
    const std::string arn = domain::kms::AliasArn(scope.region, scope.account, name);
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kKmsNotFound, "Alias " + arn + " is not found.");
    }
    return txn.AddChange(scope.account, scope.region, kService, arn, "DeleteAlias");
  });
}

// The key's row is this write's to check: SQLite has one writer, so the check and the insert
// below are one step for every other CreateGrant (kms_store.h).
Result<Grant> SqliteKmsStore::CreateKmsGrant(const Grant& g, int64_t key_revision,
                                             size_t max_grants) {
  Grant out;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // Every statement here starts with the key's (account, region, key_id); null when it
    // cannot be prepared.
    auto for_key = [&](const char* sql) {
      sqlite3_stmt* prepared = c.Prepare(sql);
      if (prepared != nullptr) {
        BindText(prepared, 1, g.account);
        BindText(prepared, 2, g.region);
        BindText(prepared, 3, g.key_id);
      }
      return prepared;
    };
    sqlite3_stmt* st = for_key(
        "SELECT revision FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?");
    if (!st) return DbError(c.db(), "prepare");
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(c.db(), "read key");
    const int64_t revision = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (revision == 0 || revision != key_revision) return Conflict("key " + g.key_id);
    if (!g.name.empty()) {
      st = for_key(
          "SELECT meta FROM kms_grants WHERE account = ? AND region = ? AND key_id = ? "
          "AND instr(meta, ?) > 0 ORDER BY grant_id");
      if (!st) return DbError(c.db(), "prepare");
      BindText(st, 4, KmsGrantNameField(g.name));
      ARCANA_ASSIGN_OR_RETURN(auto named, ReadGrants(c, st));
      for (auto& e : named) {
        if (domain::kms::SameNamedGrant(e, g)) {
          out = std::move(e);
          return Status::Ok();
        }
      }
    }
    st = for_key("SELECT count(*) FROM kms_grants WHERE account = ? AND region = ? AND key_id = ?");
    if (!st) return DbError(c.db(), "prepare");
    if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "count grants");
    const int64_t count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (count >= static_cast<int64_t>(max_grants)) {
      return Status(ErrorCode::kKmsLimitExceeded,
                    "Too many grants on " + KeyArnOf(g.region, g.account, g.key_id));
    }
    st = for_key(
        "INSERT INTO kms_grants (account, region, key_id, grant_id, retiring, meta) "
        "VALUES (?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 4, g.grant_id);
    BindText(st, 5, g.retiring_principal);
    BindText(st, 6, EncodeKmsGrant(g));
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write grant"));
    out = g;
    return txn.AddChange(g.account, g.region, kService, KeyArnOf(g.region, g.account, g.key_id),
                         "CreateGrant");
  }));
  return out;
}

Result<std::vector<Grant>> SqliteKmsStore::ListKmsGrants(const Scope& scope,
                                                         const std::string& key_id,
                                                         const std::string& after_grant_id,
                                                         size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_grants WHERE account = ? AND region = ? AND key_id = ? "
      "AND grant_id > ? ORDER BY grant_id LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  BindText(st, 4, after_grant_id);
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(Clamp(limit)));
  return ReadGrants(*c, st);
}

Result<std::vector<Grant>> SqliteKmsStore::ListKmsGrantsByRetiringPrincipal(
    const std::string& region, const std::string& principal, const std::string& after_grant_id,
    size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_grants WHERE region = ? AND retiring = ? "
      "AND grant_id > ? ORDER BY grant_id LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, region);
  BindText(st, 2, principal);
  BindText(st, 3, after_grant_id);
  sqlite3_bind_int64(st, 4, static_cast<int64_t>(Clamp(limit)));
  return ReadGrants(*c, st);
}

Status SqliteKmsStore::DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                                      const std::string& grant_id) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM kms_grants WHERE account = ? AND region = ? AND key_id = ? "
        "AND grant_id = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, key_id);
    BindText(st, 4, grant_id);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete grant"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kKmsNotFound, "Grant ID " + grant_id + " not found");
    }
    return txn.AddChange(scope.account, scope.region, kService,
                         KeyArnOf(scope.region, scope.account, key_id), "DeleteGrant");
  });
}

Result<std::vector<KeyMaterialRecord>> SqliteKmsStore::ListKeyMaterials() {
  ARCANA_LEASE(c, db_.pool());
  return ReadMaterials(*c);
}

Status SqliteKmsStore::RewrapKeyMaterials(
    const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(auto all, ReadMaterials(c));
    for (const auto& r : all) {
      ARCANA_ASSIGN_OR_RETURN(std::string wrapped, rewrap(r));
      sqlite3_stmt* up = c.Prepare(
          "UPDATE kms_key_materials SET wrapped = ? WHERE key_id = ? AND material_id = ?");
      if (!up) return DbError(c.db(), "prepare");
      BindBlob(up, 1, wrapped);
      BindText(up, 2, r.key_id);
      BindText(up, 3, r.material_id);
      ARCANA_RETURN_IF_ERROR(Step(c, up, "rewrap key material"));
    }
    return AppendKeyMaterialChanges(txn, "RewrapKeyMaterials");
  });
}

Status SqliteKmsStore::WipeKms() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?1, account, region, 'kms', 'arn:aws:kms:' || region || ':' || account || "
        "':key/' || key_id, 'WipeResources' FROM kms_keys "
        "UNION ALL SELECT ?1, account, region, 'kms', 'arn:aws:kms:' || region || ':' || "
        "account || ':' || name, 'WipeResources' FROM kms_aliases");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, st, "record wipe"));
    txn.MarkChanged();
    return c.Exec(
        "DELETE FROM kms_grants; DELETE FROM kms_aliases; DELETE FROM kms_key_materials; "
        "DELETE FROM kms_key_last_usage; DELETE FROM kms_keys;");
  });
}

}  // namespace arcana::storage::sqlite
