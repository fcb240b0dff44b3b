// SqliteStore's KmsStore methods (see storage/kms_store.h) and the "kms" migrations.
#include "storage/kms_codec.h"
#include "storage/sqlite_store.h"

namespace arcana::storage {

using namespace sqlite;  // NOLINT: the plumbing this file is built on
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
};

// A transaction on a leased connection: BEGIN IMMEDIATE now, ROLLBACK unless committed.
class Txn {
 public:
  explicit Txn(Conn& c) : c_(c) {}
  Status Begin() { return c_.Exec("BEGIN IMMEDIATE"); }
  Status Commit() {
    if (sqlite3_exec(c_.db(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
      return DbError(c_.db(), "commit");
    }
    done_ = true;
    return Status::Ok();
  }
  ~Txn() {
    if (!done_) (void)c_.Exec("ROLLBACK");
  }

 private:
  Conn& c_;
  bool done_ = false;
};

Status Step(Conn& c, sqlite3_stmt* st, const char* what) {
  if (st == nullptr) return DbError(c.db(), "prepare");
  int rc = sqlite3_step(st);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return DbError(c.db(), what);
  return Status::Ok();
}

Status WriteKey(Conn& c, const Key& key, bool create_only) {
  const char* sql =
      create_only
          ? "INSERT INTO kms_keys (account, region, key_id, deletion_ms, rotation_due_ms, meta) "
            "VALUES (?,?,?,?,?,?)"
          : "INSERT INTO kms_keys (account, region, key_id, deletion_ms, rotation_due_ms, meta) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT(account, region, key_id) DO UPDATE SET "
            "deletion_ms = excluded.deletion_ms, rotation_due_ms = excluded.rotation_due_ms, "
            "meta = excluded.meta";
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, key.account);
  BindText(st, 2, key.region);
  BindText(st, 3, key.key_id);
  if (key.deletion_ms) {
    sqlite3_bind_int64(st, 4, *key.deletion_ms);
  } else {
    sqlite3_bind_null(st, 4);
  }
  if (key.rotation_enabled && key.key_state != domain::kms::kStatePendingDeletion) {
    sqlite3_bind_int64(st, 5, key.rotation_base_ms + int64_t{key.rotation_period_days} * 86400000);
  } else {
    sqlite3_bind_null(st, 5);
  }
  BindText(st, 6, EncodeKmsKey(key));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) {
    return Status(ErrorCode::kAlreadyExists, "key " + key.key_id + " already exists");
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "write key");
  return Status::Ok();
}

Status WriteMaterials(Conn& c, const std::vector<KeyMaterialRecord>& ms) {
  for (const auto& m : ms) {
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO kms_key_materials (key_id, material_id, aad, wrapped) VALUES (?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, m.key_id);
    BindText(st, 2, m.material_id);
    BindText(st, 3, m.aad);
    BindBlob(st, 4, m.wrapped);
    if (sqlite3_step(st) != SQLITE_DONE) return DbError(c.db(), "write key material");
  }
  return Status::Ok();
}

Result<std::vector<Key>> ReadKeys(Conn& c, sqlite3_stmt* st) {
  std::vector<Key> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ARCANA_ASSIGN_OR_RETURN(auto k, DecodeKmsKey(ColText(st, 0)));
    out.push_back(std::move(k));
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "read keys");
  return out;
}

Result<std::vector<Grant>> ReadGrants(Conn& c, sqlite3_stmt* st) {
  std::vector<Grant> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ARCANA_ASSIGN_OR_RETURN(auto g, DecodeKmsGrant(ColText(st, 0)));
    out.push_back(std::move(g));
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "read grants");
  return out;
}

std::string AliasArnOf(const Alias& a) {
  return "arn:aws:kms:" + a.region + ":" + a.account + ":" + a.name;
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
    return Status(ErrorCode::kAlreadyExists,
                  "An alias with the name " + AliasArnOf(a) + " already exists");
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "write alias");
  return Status::Ok();
}

}  // namespace

sqlite::Migrations KmsMigrations() {
  return {"kms", kKmsMigrationSteps, sizeof(kKmsMigrationSteps) / sizeof(kKmsMigrationSteps[0])};
}

Result<std::optional<Key>> SqliteStore::GetKmsKey(const Scope& scope, const std::string& key_id) {
  // The hot path: every secret read unwraps its data key under a KMS key.
  const std::string cache_id = scope.account + "/" + scope.region + "/" + key_id;
  const uint64_t gen = pool_->generation();
  if (auto hit = kms_cache_->Find(cache_id, gen)) return std::optional<Key>(*hit);
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st =
      c->Prepare("SELECT meta FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<Key>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read key");
  std::string text = ColText(st, 0);
  sqlite3_reset(st);
  ARCANA_ASSIGN_OR_RETURN(Key k, kms_cache_->Fill(cache_id, gen, std::move(text),
                                                  [](const std::string& t) { return DecodeKmsKey(t); }));
  return std::optional<Key>(std::move(k));
}

Result<std::vector<Key>> SqliteStore::ListKmsKeys(const Scope& scope) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_keys WHERE account = ? AND region = ? ORDER BY key_id");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  return ReadKeys(*c, st);
}

Result<std::vector<Key>> SqliteStore::ListKmsKeysDue(int64_t now_ms) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_keys WHERE deletion_ms <= ?1 OR rotation_due_ms <= ?1");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  return ReadKeys(*c, st);
}

Status SqliteStore::PutKmsKey(const Key& key, const std::vector<KeyMaterialRecord>& new_materials,
                              bool create_only) {
  ARCANA_LEASE(c, pool_);
  Txn t(*c);
  ARCANA_RETURN_IF_ERROR(t.Begin());
  ARCANA_RETURN_IF_ERROR(WriteKey(*c, key, create_only));
  ARCANA_RETURN_IF_ERROR(WriteMaterials(*c, new_materials));
  return t.Commit();
}

Status SqliteStore::CreateKmsKeyWithAlias(const Key& key,
                                          const std::vector<KeyMaterialRecord>& materials,
                                          const Alias& alias) {
  ARCANA_LEASE(c, pool_);
  Txn t(*c);
  ARCANA_RETURN_IF_ERROR(t.Begin());
  ARCANA_RETURN_IF_ERROR(InsertAlias(*c, alias));
  ARCANA_RETURN_IF_ERROR(WriteKey(*c, key, true));
  ARCANA_RETURN_IF_ERROR(WriteMaterials(*c, materials));
  return t.Commit();
}

Result<std::optional<KeyMaterialRecord>> SqliteStore::GetKeyMaterial(
    const std::string& key_id, const std::string& material_id) {
  ARCANA_LEASE(c, pool_);
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

Status SqliteStore::DeleteKmsKey(const Scope& scope, const std::string& key_id) {
  ARCANA_LEASE(c, pool_);
  Txn t(*c);
  ARCANA_RETURN_IF_ERROR(t.Begin());
  for (const char* sql :
       {"DELETE FROM kms_keys WHERE account = ?1 AND region = ?2 AND key_id = ?3",
        "DELETE FROM kms_aliases WHERE account = ?1 AND region = ?2 AND target_key_id = ?3",
        "DELETE FROM kms_grants WHERE account = ?1 AND region = ?2 AND key_id = ?3"}) {
    sqlite3_stmt* st = c->Prepare(sql);
    if (!st) return DbError(c->db(), "prepare");
    BindText(st, 1, scope.account);
    BindText(st, 2, scope.region);
    BindText(st, 3, key_id);
    ARCANA_RETURN_IF_ERROR(Step(*c, st, "delete key"));
  }
  sqlite3_stmt* st = c->Prepare("DELETE FROM kms_key_materials WHERE key_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, key_id);
  ARCANA_RETURN_IF_ERROR(Step(*c, st, "delete key materials"));
  return t.Commit();
}

Result<std::optional<Alias>> SqliteStore::GetKmsAlias(const Scope& scope, const std::string& name) {
  ARCANA_LEASE(c, pool_);
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

Result<std::vector<Alias>> SqliteStore::ListKmsAliases(const Scope& scope) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, region, name, target_key_id, created_ms, updated_ms FROM kms_aliases "
      "WHERE account = ? AND region = ? ORDER BY name");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  std::vector<Alias> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadAlias(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list aliases");
  return out;
}

Status SqliteStore::PutKmsAlias(const Alias& a, bool create) {
  ARCANA_LEASE(c, pool_);
  if (create) return InsertAlias(*c, a);
  sqlite3_stmt* st = c->Prepare(
      "UPDATE kms_aliases SET target_key_id = ?, updated_ms = ? "
      "WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, a.target_key_id);
  sqlite3_bind_int64(st, 2, a.updated_ms);
  BindText(st, 3, a.account);
  BindText(st, 4, a.region);
  BindText(st, 5, a.name);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "update alias");
  if (sqlite3_changes(c->db()) == 0) {
    return Status(ErrorCode::kKmsNotFound, "Alias " + AliasArnOf(a) + " is not found.");
  }
  return Status::Ok();
}

Status SqliteStore::DeleteKmsAlias(const Scope& scope, const std::string& name) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st =
      c->Prepare("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, name);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "delete alias");
  if (sqlite3_changes(c->db()) == 0) {
    return Status(ErrorCode::kKmsNotFound, "Alias arn:aws:kms:" + scope.region + ":" +
                                               scope.account + ":" + name + " is not found.");
  }
  return Status::Ok();
}

Status SqliteStore::PutKmsGrant(const Grant& g) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "INSERT OR REPLACE INTO kms_grants (account, region, key_id, grant_id, retiring, meta) "
      "VALUES (?,?,?,?,?,?)");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, g.account);
  BindText(st, 2, g.region);
  BindText(st, 3, g.key_id);
  BindText(st, 4, g.grant_id);
  BindText(st, 5, g.retiring_principal);
  BindText(st, 6, EncodeKmsGrant(g));
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "write grant");
  return Status::Ok();
}

Result<std::vector<Grant>> SqliteStore::ListKmsGrants(const Scope& scope, const std::string& key_id) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_grants WHERE account = ? AND region = ? AND key_id = ? "
      "ORDER BY grant_id");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  return ReadGrants(*c, st);
}

Result<std::vector<Grant>> SqliteStore::ListKmsGrantsByRetiringPrincipal(
    const Scope& scope, const std::string& principal) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta FROM kms_grants WHERE account = ? AND region = ? AND retiring = ? "
      "ORDER BY grant_id");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, principal);
  return ReadGrants(*c, st);
}

Status SqliteStore::DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                                   const std::string& grant_id) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "DELETE FROM kms_grants WHERE account = ? AND region = ? AND key_id = ? AND grant_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key_id);
  BindText(st, 4, grant_id);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "delete grant");
  if (sqlite3_changes(c->db()) == 0) {
    return Status(ErrorCode::kKmsNotFound, "Grant ID " + grant_id + " not found");
  }
  return Status::Ok();
}

Result<std::vector<KeyMaterialRecord>> SqliteStore::ListKeyMaterials() {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials ORDER BY key_id, material_id");
  if (!st) return DbError(c->db(), "prepare");
  std::vector<KeyMaterialRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({ColText(st, 0), ColText(st, 1), ColText(st, 2), ColText(st, 3)});
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list key materials");
  return out;
}

Status SqliteStore::RewrapKeyMaterials(
    const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) {
  ARCANA_LEASE(c, pool_);
  Txn t(*c);
  ARCANA_RETURN_IF_ERROR(t.Begin());
  std::vector<KeyMaterialRecord> all;
  {
    sqlite3_stmt* st = c->Prepare(
        "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials");
    if (!st) return DbError(c->db(), "prepare");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      all.push_back({ColText(st, 0), ColText(st, 1), ColText(st, 2), ColText(st, 3)});
    }
    if (rc != SQLITE_DONE) return DbError(c->db(), "list key materials");
  }
  for (const auto& r : all) {
    ARCANA_ASSIGN_OR_RETURN(std::string wrapped, rewrap(r));
    sqlite3_stmt* up = c->Prepare(
        "UPDATE kms_key_materials SET wrapped = ? WHERE key_id = ? AND material_id = ?");
    if (!up) return DbError(c->db(), "prepare");
    BindBlob(up, 1, wrapped);
    BindText(up, 2, r.key_id);
    BindText(up, 3, r.material_id);
    ARCANA_RETURN_IF_ERROR(Step(*c, up, "rewrap key material"));
  }
  return t.Commit();
}

Status SqliteStore::WipeKms() {
  ARCANA_LEASE(c, pool_);
  return c->Exec(
      "BEGIN IMMEDIATE; DELETE FROM kms_grants; DELETE FROM kms_aliases; "
      "DELETE FROM kms_key_materials; DELETE FROM kms_keys; COMMIT;");
}

}  // namespace arcana::storage
