#include "storage/sqlite_store.h"

#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "storage/secret_codec.h"
#include "storage/sqlite_db.h"

namespace arcana::storage {

using namespace sqlite;  // NOLINT: the plumbing this file is built on

namespace {

// Numbered migrations of the secrets component (see sqlite_db.h).
const char* const kSecretsMigrations[] = {
    // 1: secrets, their sealed values, access keys.
    R"sql(
    CREATE TABLE secrets (
      arn        TEXT PRIMARY KEY,
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      name       TEXT NOT NULL,
      deleted_ms INTEGER,
      meta       TEXT NOT NULL
    );
    CREATE UNIQUE INDEX secrets_by_name ON secrets(account, region, name);
    CREATE INDEX secrets_by_deletion ON secrets(deleted_ms) WHERE deleted_ms IS NOT NULL;
    CREATE TABLE secret_values (
      arn        TEXT NOT NULL,
      version_id TEXT NOT NULL,
      sealed     BLOB NOT NULL,
      PRIMARY KEY (arn, version_id)
    ) WITHOUT ROWID;
    CREATE TABLE access_keys (
      id         TEXT PRIMARY KEY,
      sealed     BLOB NOT NULL,
      account    TEXT NOT NULL,
      principal  TEXT NOT NULL,
      created_ms INTEGER NOT NULL
    );
    )sql",
};

}  // namespace

sqlite::Migrations KmsMigrations();  // sqlite_store_kms.cc

// Every component's migrations, applied at open. KMS and SSM append theirs here.
std::vector<sqlite::Migrations> AllMigrations() {
  return {
      {"secrets", kSecretsMigrations, sizeof(kSecretsMigrations) / sizeof(kSecretsMigrations[0])},
      KmsMigrations(),
      SsmMigrations(),  // sqlite_store_ssm.cc
  };
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const std::string& path) {
  auto pool = std::make_unique<sqlite::Pool>(path);
  {
    ARCANA_LEASE(c, pool);
    ARCANA_RETURN_IF_ERROR(sqlite::Migrate(*c, AllMigrations()));
  }
  return std::unique_ptr<SqliteStore>(new SqliteStore(std::move(pool)));
}

SqliteStore::SqliteStore(std::unique_ptr<sqlite::Pool> pool)
    : pool_(std::move(pool)),
      kms_cache_(std::make_unique<TextCache<domain::kms::Key>>()),
      decode_cache_(std::make_unique<DecodeCache>()) {}
SqliteStore::~SqliteStore() = default;

struct SqliteStore::DecodeCache {
  static constexpr size_t kMaxEntries = 10000;
  // One secret as last read, stamped with the store generation it was read at (see
  // sqlite::Pool::generation): its stored metadata text, the decoded form, and the sealed
  // values read since. Served only while the generation is unchanged, so the hot path
  // (GetSecretValue) needs no database round trip at all.
  struct Entry {
    uint64_t gen = 0;
    std::string meta;
    std::shared_ptr<const domain::sm::Secret> secret;
    std::unordered_map<std::string, std::string> sealed;  // version id -> sealed value
  };
  std::mutex mu;
  std::unordered_map<std::string, Entry> entries;  // by ARN
  std::unordered_map<std::string, std::pair<uint64_t, std::string>> names;  // scope|name -> ARN

  static std::string NameKey(const Scope& scope, const std::string& name) {
    return scope.account + "|" + scope.region + "|" + name;
  }
  // The cached secret for arn at generation gen, or null. Caller holds mu.
  const Entry* Find(const std::string& arn, uint64_t gen) const {
    auto it = entries.find(arn);
    return it != entries.end() && it->second.gen == gen ? &it->second : nullptr;
  }
};

Result<std::optional<domain::sm::Secret>> SqliteStore::DecodeCached(std::string arn,
                                                                    std::string meta,
                                                                    uint64_t gen) {
  {
    std::lock_guard<std::mutex> l(decode_cache_->mu);
    auto it = decode_cache_->entries.find(arn);
    if (it != decode_cache_->entries.end() && it->second.meta == meta) {
      if (it->second.gen != gen) it->second.sealed.clear();
      it->second.gen = gen;
      return std::optional<domain::sm::Secret>(*it->second.secret);
    }
  }
  ARCANA_ASSIGN_OR_RETURN(auto s, DecodeSecretMetadata(meta));
  auto shared = std::make_shared<const domain::sm::Secret>(s);
  std::lock_guard<std::mutex> l(decode_cache_->mu);
  if (decode_cache_->entries.size() >= DecodeCache::kMaxEntries) {
    decode_cache_->entries.clear();
    decode_cache_->names.clear();
  }
  decode_cache_->entries[std::move(arn)] =
      DecodeCache::Entry{gen, std::move(meta), std::move(shared), {}};
  return std::optional<domain::sm::Secret>(std::move(s));
}

namespace {
// Reads one (arn, meta) row; nullopt when there is none.
Result<std::optional<std::pair<std::string, std::string>>> OneRow(Conn& c, sqlite3_stmt* st) {
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::pair<std::string, std::string>>();
  if (rc != SQLITE_ROW) return DbError(c.db(), "read secret");
  std::pair<std::string, std::string> row{ColText(st, 0), ColText(st, 1)};
  sqlite3_reset(st);
  return std::optional<std::pair<std::string, std::string>>(std::move(row));
}
}  // namespace

Result<std::optional<domain::sm::Secret>> SqliteStore::GetSecretByArn(const std::string& arn) {
  const uint64_t gen = pool_->generation();
  {
    std::lock_guard<std::mutex> l(decode_cache_->mu);
    if (const auto* e = decode_cache_->Find(arn, gen)) {
      return std::optional<domain::sm::Secret>(*e->secret);
    }
  }
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare("SELECT arn, meta FROM secrets WHERE arn = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, arn);
  ARCANA_ASSIGN_OR_RETURN(auto row, OneRow(*c, st));
  if (!row) return std::optional<domain::sm::Secret>();
  return DecodeCached(std::move(row->first), std::move(row->second), gen);
}

Result<std::optional<domain::sm::Secret>> SqliteStore::GetSecretByName(const Scope& scope,
                                                                        const std::string& name) {
  const uint64_t gen = pool_->generation();
  const std::string key = DecodeCache::NameKey(scope, name);
  {
    std::lock_guard<std::mutex> l(decode_cache_->mu);
    auto n = decode_cache_->names.find(key);
    if (n != decode_cache_->names.end() && n->second.first == gen) {
      if (const auto* e = decode_cache_->Find(n->second.second, gen)) {
        return std::optional<domain::sm::Secret>(*e->secret);
      }
    }
  }
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT arn, meta FROM secrets WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, name);
  ARCANA_ASSIGN_OR_RETURN(auto row, OneRow(*c, st));
  if (!row) return std::optional<domain::sm::Secret>();
  std::string arn = row->first;
  ARCANA_ASSIGN_OR_RETURN(auto secret,
                          DecodeCached(std::move(row->first), std::move(row->second), gen));
  std::lock_guard<std::mutex> l(decode_cache_->mu);
  decode_cache_->names[key] = {gen, std::move(arn)};
  return secret;
}

Result<std::vector<domain::sm::Secret>> SqliteStore::ListSecrets(const Scope& scope) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare("SELECT meta FROM secrets WHERE account = ? AND region = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  std::vector<domain::sm::Secret> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ARCANA_ASSIGN_OR_RETURN(auto s, DecodeSecretMetadata(ColText(st, 0)));
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list secrets");
  return out;
}

Result<std::vector<std::string>> SqliteStore::ListSecretsDeletedBefore(int64_t now_ms) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT arn FROM secrets WHERE deleted_ms IS NOT NULL AND deleted_ms <= ?");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  std::vector<std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ColText(st, 0));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list deleted");
  return out;
}

Result<std::optional<std::string>> SqliteStore::GetSealedValue(const std::string& arn,
                                                               const std::string& version_id) {
  const uint64_t gen = pool_->generation();
  {
    std::lock_guard<std::mutex> l(decode_cache_->mu);
    if (const auto* e = decode_cache_->Find(arn, gen)) {
      auto v = e->sealed.find(version_id);
      if (v != e->sealed.end()) return std::optional<std::string>(v->second);
    }
  }
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st =
      c->Prepare("SELECT sealed FROM secret_values WHERE arn = ? AND version_id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, arn);
  BindText(st, 2, version_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read value");
  std::string v = ColText(st, 0);
  sqlite3_reset(st);
  {
    std::lock_guard<std::mutex> l(decode_cache_->mu);
    auto it = decode_cache_->entries.find(arn);
    if (it != decode_cache_->entries.end() && it->second.gen == gen &&
        it->second.sealed.size() < 16) {
      it->second.sealed[version_id] = v;
    }
  }
  return std::optional<std::string>(std::move(v));
}

Status SqliteStore::Commit(const std::vector<SecretWrite>& writes,
                           const std::vector<std::string>& deleted_arns) {
  ARCANA_LEASE(c, pool_);
  ARCANA_RETURN_IF_ERROR(c->Exec("BEGIN IMMEDIATE"));
  auto fail = [&](const char* what) {
    Status s = DbError(c->db(), what);
    (void)c->Exec("ROLLBACK");
    return s;
  };
  for (const auto& arn : deleted_arns) {
    for (const char* sql : {"DELETE FROM secret_values WHERE arn = ?",
                            "DELETE FROM secrets WHERE arn = ?"}) {
      sqlite3_stmt* st = c->Prepare(sql);
      if (!st) return fail("prepare");
      BindText(st, 1, arn);
      if (sqlite3_step(st) != SQLITE_DONE) return fail("delete secret");
    }
  }
  for (const auto& w : writes) {
    sqlite3_stmt* st = c->Prepare(
        "INSERT INTO secrets (arn, account, region, name, deleted_ms, meta) VALUES (?,?,?,?,?,?) "
        "ON CONFLICT(arn) DO UPDATE SET name = excluded.name, deleted_ms = excluded.deleted_ms, "
        "meta = excluded.meta");
    if (!st) return fail("prepare");
    BindText(st, 1, w.secret.arn);
    BindText(st, 2, w.secret.account);
    BindText(st, 3, w.secret.region);
    BindText(st, 4, w.secret.name);
    if (w.secret.deleted_ms) {
      sqlite3_bind_int64(st, 5, *w.secret.deleted_ms);
    } else {
      sqlite3_bind_null(st, 5);
    }
    BindText(st, 6, EncodeSecretMetadata(w.secret));
    if (sqlite3_step(st) != SQLITE_DONE) return fail("write secret");
    for (const auto& id : w.removed_versions) {
      sqlite3_stmt* d = c->Prepare("DELETE FROM secret_values WHERE arn = ? AND version_id = ?");
      if (!d) return fail("prepare");
      BindText(d, 1, w.secret.arn);
      BindText(d, 2, id);
      if (sqlite3_step(d) != SQLITE_DONE) return fail("prune version");
    }
    for (const auto& v : w.new_values) {
      sqlite3_stmt* ins = c->Prepare(
          "INSERT OR REPLACE INTO secret_values (arn, version_id, sealed) VALUES (?,?,?)");
      if (!ins) return fail("prepare");
      BindText(ins, 1, w.secret.arn);
      BindText(ins, 2, v.version_id);
      BindBlob(ins, 3, v.sealed);
      if (sqlite3_step(ins) != SQLITE_DONE) return fail("write value");
    }
  }
  if (sqlite3_exec(c->db(), "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return fail("commit");
  }
  return Status::Ok();
}

Status SqliteStore::PutAccessKey(const AccessKeyRecord& k) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "INSERT INTO access_keys (id, sealed, account, principal, created_ms) VALUES (?,?,?,?,?)");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, k.access_key_id);
  BindBlob(st, 2, k.sealed_secret);
  BindText(st, 3, k.account_id);
  BindText(st, 4, k.principal_arn);
  sqlite3_bind_int64(st, 5, k.created_ms);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_CONSTRAINT) {
    return Status(ErrorCode::kResourceExists, "access key " + k.access_key_id + " exists");
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "write access key");
  return Status::Ok();
}

namespace {
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

Result<std::optional<AccessKeyRecord>> SqliteStore::GetAccessKey(const std::string& id) {
  ARCANA_LEASE(c, pool_);
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

Result<std::vector<AccessKeyRecord>> SqliteStore::ListAccessKeys() {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, sealed, account, principal, created_ms FROM access_keys ORDER BY created_ms");
  if (!st) return DbError(c->db(), "prepare");
  std::vector<AccessKeyRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadKey(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list access keys");
  return out;
}

Status SqliteStore::DeleteAccessKey(const std::string& id) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare("DELETE FROM access_keys WHERE id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, id);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "delete access key");
  if (sqlite3_changes(c->db()) == 0) {
    return Status(ErrorCode::kResourceNotFound, "no access key " + id);
  }
  return Status::Ok();
}

Result<std::optional<std::string>> SqliteStore::GetMeta(const std::string& key) {
  ARCANA_LEASE(c, pool_);
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

Status SqliteStore::PutMeta(const std::string& key, const std::string& value) {
  ARCANA_LEASE(c, pool_);
  sqlite3_stmt* st = c->Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, key);
  BindBlob(st, 2, value);
  if (sqlite3_step(st) != SQLITE_DONE) return DbError(c->db(), "write meta");
  return Status::Ok();
}

void SqliteStore::ForgetCachedSecrets() {
  std::lock_guard<std::mutex> l(decode_cache_->mu);
  decode_cache_->entries.clear();
  decode_cache_->names.clear();
  kms_cache_->Clear();
}

Status SqliteStore::WipeResources() {
  ForgetCachedSecrets();
  ARCANA_LEASE(c, pool_);
  return c->Exec("BEGIN IMMEDIATE; DELETE FROM secret_values; DELETE FROM secrets; "
                 "DELETE FROM ssm_values; DELETE FROM ssm_parameters; COMMIT;");
}

}  // namespace arcana::storage
