#include "storage/postgres/pg_kms_store.h"

#include <set>

#include "domain/kms/grants.h"
#include "domain/kms/rules.h"
#include "storage/kms_codec.h"
#include "storage/postgres/pg_meta_store.h"

namespace arcana::storage::pg {

using domain::kms::Alias;
using domain::kms::Grant;
using domain::kms::Key;

namespace {

constexpr const char* kService = "kms";

const char* const kKmsV1 = R"sql(
CREATE TABLE kms_keys (
  account         TEXT COLLATE "C" NOT NULL,
  region          TEXT COLLATE "C" NOT NULL,
  key_id          TEXT COLLATE "C" NOT NULL,
  revision        BIGINT NOT NULL,
  deletion_ms     BIGINT,
  rotation_due_ms BIGINT,
  meta            TEXT NOT NULL,
  PRIMARY KEY (account, region, key_id)
);
CREATE INDEX kms_keys_by_deletion ON kms_keys (deletion_ms) WHERE deletion_ms IS NOT NULL;
CREATE INDEX kms_keys_by_rotation ON kms_keys (rotation_due_ms)
  WHERE rotation_due_ms IS NOT NULL;
CREATE INDEX kms_keys_by_id ON kms_keys (key_id);
CREATE TABLE kms_key_materials (
  key_id      TEXT COLLATE "C" NOT NULL,
  material_id TEXT COLLATE "C" NOT NULL,
  aad         TEXT NOT NULL,
  wrapped     BYTEA NOT NULL,
  PRIMARY KEY (key_id, material_id)
);
CREATE TABLE kms_aliases (
  account       TEXT COLLATE "C" NOT NULL,
  region        TEXT COLLATE "C" NOT NULL,
  name          TEXT COLLATE "C" NOT NULL,
  target_key_id TEXT COLLATE "C" NOT NULL,
  created_ms    BIGINT NOT NULL,
  updated_ms    BIGINT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE INDEX kms_aliases_by_target ON kms_aliases (account, region, target_key_id, name);
CREATE TABLE kms_grants (
  account  TEXT COLLATE "C" NOT NULL,
  region   TEXT COLLATE "C" NOT NULL,
  key_id   TEXT COLLATE "C" NOT NULL,
  grant_id TEXT COLLATE "C" NOT NULL,
  retiring TEXT COLLATE "C" NOT NULL,
  meta     TEXT NOT NULL,
  PRIMARY KEY (account, region, key_id, grant_id)
);
CREATE INDEX kms_grants_by_retiring ON kms_grants (account, region, retiring, grant_id);
)sql";

// 2: each key's last successful cryptographic operation (GetKeyLastUsage; storage/
// kms_key_usage_store.h), and when tracking began: this step's first run, in ms.
const char* const kKmsV2 = R"sql(
CREATE TABLE kms_key_last_usage (
  account    TEXT COLLATE "C" NOT NULL,
  region     TEXT COLLATE "C" NOT NULL,
  key_id     TEXT COLLATE "C" NOT NULL,
  used_ms    BIGINT NOT NULL,
  operation  TEXT NOT NULL,
  request_id TEXT NOT NULL,
  event_id   TEXT NOT NULL,
  PRIMARY KEY (account, region, key_id)
);
CREATE TABLE kms_key_usage_tracking (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  since_ms BIGINT NOT NULL
);
INSERT INTO kms_key_usage_tracking (id, since_ms)
  VALUES (1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT);
)sql";

// 3: ListRetirableGrants lists the grants naming a retiring principal on the keys of every
// account of the region (a grant is stored with its key), so the index no longer leads with
// the account.
const char* const kKmsV3 = R"sql(
DROP INDEX kms_grants_by_retiring;
CREATE INDEX kms_grants_by_retiring_in_region ON kms_grants (region, retiring, grant_id);
)sql";

std::string KeyArnOf(const Key& k) {
  return k.arn.empty() ? domain::kms::KeyArn(k.region, k.account, k.key_id) : k.arn;
}

// When automatic rotation is next due (NULL: never), as SQLite computes it.
// When the maintenance job must next look at the key (domain/kms/rules.h): automatic
// rotation, imported material expiry, a primary waiting for its replicas' deletion.
std::optional<int64_t> RotationDue(const Key& k) { return domain::kms::NextMaintenanceMs(k); }

Result<Key> DecodeKey(const pqxx::row& row) {  // (revision, meta)
  ARCANA_ASSIGN_OR_RETURN(auto k, DecodeKmsKey(Text(row[1])));
  k.revision = Int(row[0]);
  return k;
}

Result<std::vector<Key>> DecodeKeys(const pqxx::result& r) {
  std::vector<Key> out;
  for (const auto& row : r) {
    ARCANA_ASSIGN_OR_RETURN(auto k, DecodeKey(row));
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<Grant>> DecodeGrants(const pqxx::result& r) {
  std::vector<Grant> out;
  for (const auto& row : r) {
    ARCANA_ASSIGN_OR_RETURN(auto g, DecodeKmsGrant(Text(row[0])));
    out.push_back(std::move(g));
  }
  return out;
}

constexpr const char* kAliasColumns =
    "SELECT account, region, name, target_key_id, created_ms, updated_ms FROM kms_aliases ";

Alias DecodeAlias(const pqxx::row& row) {
  Alias a;
  a.account = Text(row[0]);
  a.region = Text(row[1]);
  a.name = Text(row[2]);
  a.target_key_id = Text(row[3]);
  a.created_ms = Int(row[4]);
  a.updated_ms = Int(row[5]);
  return a;
}

// Inserts a new key (kAlreadyExists when it exists) or updates it at key.revision.
Status WriteKey(Tx& tx, const Key& key) {
  const std::string meta = EncodeKmsKey(key);
  if (key.revision == 0) {
    auto r = tx.Exec(
        "INSERT INTO kms_keys (account, region, key_id, revision, deletion_ms, rotation_due_ms, "
        "meta) VALUES ($1, $2, $3, 1, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        {key.account, key.region, key.key_id, key.deletion_ms, RotationDue(key), meta});
    if (r.empty()) {
      return Status(ErrorCode::kAlreadyExists, "key " + key.key_id + " already exists");
    }
    return Status::Ok();
  }
  auto r = tx.Exec(
      "UPDATE kms_keys SET deletion_ms = $4, rotation_due_ms = $5, meta = $6, "
      "revision = revision + 1 "
      "WHERE account = $1 AND region = $2 AND key_id = $3 AND revision = $7 RETURNING 1",
      {key.account, key.region, key.key_id, key.deletion_ms, RotationDue(key), meta,
       key.revision});
  if (r.empty()) {
    return Status(ErrorCode::kWriteConflict,
                  "key " + key.key_id + " was changed by another writer since it was read");
  }
  return Status::Ok();
}

// Each material is sealed under the root key: written only while that key is the store's
// root (storage/root_guard.h), checked after the row is written (its lock then held to commit).
Status WriteMaterials(Tx& tx, const std::vector<KeyMaterialRecord>& ms, bool replace = false) {
  for (const auto& m : ms) {
    tx.Exec(replace ? "INSERT INTO kms_key_materials (key_id, material_id, aad, wrapped) "
                      "VALUES ($1, $2, $3, $4) ON CONFLICT (key_id, material_id) DO UPDATE "
                      "SET aad = EXCLUDED.aad, wrapped = EXCLUDED.wrapped"
                    : "INSERT INTO kms_key_materials (key_id, material_id, aad, wrapped) "
                      "VALUES ($1, $2, $3, $4)",
            {m.key_id, m.material_id, m.aad, Param::Bytes(m.wrapped)});
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, m.wrapped));
  }
  return Status::Ok();
}

Status InsertAlias(Tx& tx, const Alias& a) {
  auto r = tx.Exec(
      "INSERT INTO kms_aliases (account, region, name, target_key_id, created_ms, updated_ms) "
      "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
      {a.account, a.region, a.name, a.target_key_id, a.created_ms, a.updated_ms});
  if (r.empty()) {
    return Status(ErrorCode::kAlreadyExists,
                  "An alias with the name " + domain::kms::AliasArn(a.region, a.account, a.name) +
                      " already exists");
  }
  tx.AddChange({0, 0, a.account, a.region, kService,
                domain::kms::AliasArn(a.region, a.account, a.name), "CreateAlias"});
  return Status::Ok();
}

}  // namespace

void AddMaterialChanges(Tx& tx, const std::vector<std::string>& key_ids, const std::string& kind) {
  if (key_ids.empty()) return;
  for (const auto& row :
       tx.Exec("SELECT account, region, key_id FROM kms_keys WHERE key_id = ANY($1::text[])",
               {Param::TextArray(key_ids)})) {
    tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService,
                  domain::kms::KeyArn(Text(row[1]), Text(row[0]), Text(row[2])), kind});
  }
}

Migrations PgKmsStore::Schema() { return {"kms", {kKmsV1, kKmsV2, kKmsV3}}; }

Result<std::optional<Key>> PgKmsStore::GetKmsKey(const Scope& scope, const std::string& key_id) {
  std::optional<Key> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read key", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "SELECT revision, meta FROM kms_keys WHERE account = $1 AND region = $2 AND key_id = $3",
        {scope.account, scope.region, key_id});
    if (r.empty()) return Status::Ok();
    ARCANA_ASSIGN_OR_RETURN(auto k, DecodeKey(r[0]));
    out = std::move(k);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Key>> PgKmsStore::ListKmsKeys(const Scope& scope,
                                                 const std::string& after_key_id, size_t limit) {
  std::vector<Key> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list keys", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(
        out, DecodeKeys(tx.Exec(
                 "SELECT revision, meta FROM kms_keys WHERE account = $1 AND region = $2 "
                 "AND key_id > $3 ORDER BY key_id LIMIT $4",
                 {scope.account, scope.region, after_key_id, std::min(limit, kMaxListLimit)})));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Key>> PgKmsStore::ListKmsKeysDue(int64_t now_ms, size_t limit) {
  std::vector<Key> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list due keys", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(
        out, DecodeKeys(tx.Exec(
                 "SELECT revision, meta FROM kms_keys "
                 "WHERE deletion_ms <= $1 OR rotation_due_ms <= $1 LIMIT $2",
                 {now_ms, std::min(limit, kMaxListLimit)})));
    return Status::Ok();
  }));
  return out;
}

Status PgKmsStore::PutKmsKey(const Key& key, const std::vector<KeyMaterialRecord>& new_materials,
                             const std::string& change) {
  return db_.Write("write key", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(WriteKey(tx, key));
    ARCANA_RETURN_IF_ERROR(WriteMaterials(tx, new_materials));
    tx.AddChange({0, 0, key.account, key.region, kService, KeyArnOf(key), change});
    return Status::Ok();
  });
}

Status PgKmsStore::WriteKmsKeys(const std::vector<KmsKeyWrite>& writes,
                                const std::string& change) {
  return db_.Write("write keys", [&](Tx& tx) -> Status {
    for (const auto& w : writes) {
      ARCANA_RETURN_IF_ERROR(WriteKey(tx, w.key));
      ARCANA_RETURN_IF_ERROR(WriteMaterials(tx, w.put_materials, /*replace=*/true));
      if (!w.drop_material_ids.empty()) {
        tx.Exec("DELETE FROM kms_key_materials WHERE key_id = $1 AND material_id = ANY($2::text[])",
                {w.key.key_id, Param::TextArray(w.drop_material_ids)});
      }
      tx.AddChange({0, 0, w.key.account, w.key.region, kService, KeyArnOf(w.key), change});
    }
    return Status::Ok();
  });
}

Result<std::vector<Key>> PgKmsStore::ListKmsKeyRegions(const std::string& account,
                                                       const std::string& key_id) {
  std::vector<Key> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list key regions", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(
        out, DecodeKeys(tx.Exec("SELECT revision, meta FROM kms_keys WHERE account = $1 AND "
                                "key_id = $2 ORDER BY region LIMIT 1000",
                                {account, key_id})));
    return Status::Ok();
  }));
  return out;
}

Status PgKmsStore::CreateKmsKeyWithAlias(const Key& key,
                                         const std::vector<KeyMaterialRecord>& materials,
                                         const Alias& alias) {
  return db_.Write("create key with alias", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(InsertAlias(tx, alias));
    Key created = key;
    created.revision = 0;
    ARCANA_RETURN_IF_ERROR(WriteKey(tx, created));
    ARCANA_RETURN_IF_ERROR(WriteMaterials(tx, materials));
    tx.AddChange({0, 0, key.account, key.region, kService, KeyArnOf(key), "CreateKey"});
    return Status::Ok();
  });
}

Result<std::optional<KeyMaterialRecord>> PgKmsStore::GetKeyMaterial(
    const std::string& key_id, const std::string& material_id) {
  std::optional<KeyMaterialRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read key material", [&](Tx& tx) {
    auto r = tx.Exec(
        "SELECT aad, wrapped FROM kms_key_materials WHERE key_id = $1 AND material_id = $2",
        {key_id, material_id});
    if (!r.empty()) out = KeyMaterialRecord{key_id, material_id, Text(r[0][0]), Bytes(r[0][1])};
    return Status::Ok();
  }));
  return out;
}

Status PgKmsStore::DeleteKmsKey(const Scope& scope, const std::string& key_id,
                                int64_t expected_revision) {
  return db_.Write("delete key", [&](Tx& tx) -> Status {
    auto r = expected_revision == 0
                 ? tx.Exec(
                       "DELETE FROM kms_keys WHERE account = $1 AND region = $2 AND key_id = $3 "
                       "RETURNING 1",
                       {scope.account, scope.region, key_id})
                 : tx.Exec(
                       "DELETE FROM kms_keys WHERE account = $1 AND region = $2 AND key_id = $3 "
                       "AND revision = $4 RETURNING 1",
                       {scope.account, scope.region, key_id, expected_revision});
    if (r.empty() && expected_revision != 0) {
      return Status(ErrorCode::kWriteConflict,
                    "key " + key_id + " was changed by another writer since it was read");
    }
    if (!r.empty()) {
      tx.AddChange({0, 0, scope.account, scope.region, kService,
                    domain::kms::KeyArn(scope.region, scope.account, key_id), "DeleteKey"});
    }
    for (const auto& a : tx.Exec(
             "DELETE FROM kms_aliases WHERE account = $1 AND region = $2 AND target_key_id = $3 "
             "RETURNING name",
             {scope.account, scope.region, key_id})) {
      tx.AddChange({0, 0, scope.account, scope.region, kService,
                    domain::kms::AliasArn(scope.region, scope.account, Text(a[0])),
                    "DeleteAlias"});
    }
    tx.Exec("DELETE FROM kms_grants WHERE account = $1 AND region = $2 AND key_id = $3",
            {scope.account, scope.region, key_id});
    tx.Exec("DELETE FROM kms_key_last_usage WHERE account = $1 AND region = $2 AND key_id = $3",
            {scope.account, scope.region, key_id});
    // A multi-Region key's other regions still use the (shared) materials.
    tx.Exec("DELETE FROM kms_key_materials WHERE key_id = $1 AND NOT EXISTS "
            "(SELECT 1 FROM kms_keys WHERE account = $2 AND key_id = $1)",
            {key_id, scope.account});
    return Status::Ok();
  });
}

Result<std::optional<Alias>> PgKmsStore::GetKmsAlias(const Scope& scope, const std::string& name) {
  std::optional<Alias> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read alias", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kAliasColumns) +
                         "WHERE account = $1 AND region = $2 AND name = $3",
                     {scope.account, scope.region, name});
    if (!r.empty()) out = DecodeAlias(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Alias>> PgKmsStore::ListKmsAliases(const Scope& scope,
                                                      const std::string& key_id,
                                                      const std::string& after_name,
                                                      size_t limit) {
  std::vector<Alias> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list aliases", [&](Tx& tx) {
    const size_t n = std::min(limit, kMaxListLimit);
    auto r = key_id.empty()
                 ? tx.Exec(std::string(kAliasColumns) +
                               "WHERE account = $1 AND region = $2 AND name > $3 "
                               "ORDER BY name LIMIT $4",
                           {scope.account, scope.region, after_name, n})
                 : tx.Exec(std::string(kAliasColumns) +
                               "WHERE account = $1 AND region = $2 AND target_key_id = $3 "
                               "AND name > $4 ORDER BY name LIMIT $5",
                           {scope.account, scope.region, key_id, after_name, n});
    for (const auto& row : r) out.push_back(DecodeAlias(row));
    return Status::Ok();
  }));
  return out;
}

// The target key's row is locked first (kms_store.h), as CreateKmsGrant does: alias writes
// onto one key from every node take turns, and READ COMMITTED lets the count after the lock
// see the aliases the previous holder committed. Every writer takes the key's row before any
// alias row, so two of them cannot wait on each other.
Status PgKmsStore::PutKmsAlias(const Alias& a, bool create, size_t max_per_key) {
  return db_.Write("write alias", [&](Tx& tx) -> Status {
    const std::string arn = domain::kms::AliasArn(a.region, a.account, a.name);
    if (tx.Exec("SELECT 1 FROM kms_keys WHERE account = $1 AND region = $2 AND key_id = $3 "
                "FOR UPDATE",
                {a.account, a.region, a.target_key_id})
            .empty()) {
      return Status(ErrorCode::kKmsNotFound,
                    "Key '" + domain::kms::KeyArn(a.region, a.account, a.target_key_id) +
                        "' does not exist");
    }
    bool keeps_key = false;  // an update to the key the alias names already adds nothing
    if (!create) {
      auto current = tx.Exec(
          "SELECT target_key_id FROM kms_aliases WHERE account = $1 AND region = $2 "
          "AND name = $3 FOR UPDATE",
          {a.account, a.region, a.name});
      if (current.empty()) {
        return Status(ErrorCode::kKmsNotFound, "Alias " + arn + " is not found.");
      }
      keeps_key = Text(current[0][0]) == a.target_key_id;
    }
    if (!keeps_key) {
      const int64_t on_key = Int(tx.Exec("SELECT count(*) FROM kms_aliases WHERE account = $1 "
                                         "AND region = $2 AND target_key_id = $3",
                                         {a.account, a.region, a.target_key_id})[0][0]);
      if (on_key >= static_cast<int64_t>(max_per_key)) {
        return Status(ErrorCode::kKmsLimitExceeded,
                      "Too many aliases on " +
                          domain::kms::KeyArn(a.region, a.account, a.target_key_id));
      }
    }
    if (create) return InsertAlias(tx, a);
    tx.Exec(
        "UPDATE kms_aliases SET target_key_id = $4, updated_ms = $5 "
        "WHERE account = $1 AND region = $2 AND name = $3",
        {a.account, a.region, a.name, a.target_key_id, a.updated_ms});
    tx.AddChange({0, 0, a.account, a.region, kService, arn, "UpdateAlias"});
    return Status::Ok();
  });
}

Status PgKmsStore::DeleteKmsAlias(const Scope& scope, const std::string& name) {
  return db_.Write("delete alias", [&](Tx& tx) -> Status {
    const std::string arn = domain::kms::AliasArn(scope.region, scope.account, name);
    auto r = tx.Exec(
        "DELETE FROM kms_aliases WHERE account = $1 AND region = $2 AND name = $3 RETURNING 1",
        {scope.account, scope.region, name});
    if (r.empty()) return Status(ErrorCode::kKmsNotFound, "Alias " + arn + " is not found.");
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "DeleteAlias"});
    return Status::Ok();
  });
}

// The key's row is locked first (kms_store.h): CreateGrants on one key from every node take
// turns, and READ COMMITTED lets each statement after the lock see what the previous holder
// committed (its grant, the key's new revision).
Result<Grant> PgKmsStore::CreateKmsGrant(const Grant& g, int64_t key_revision,
                                         size_t max_grants) {
  Grant out;
  ARCANA_RETURN_IF_ERROR(db_.Write("write grant", [&](Tx& tx) -> Status {
    const Params key{g.account, g.region, g.key_id};
    auto locked = tx.Exec(
        "SELECT revision FROM kms_keys WHERE account = $1 AND region = $2 AND key_id = $3 "
        "FOR UPDATE",
        key);
    if (locked.empty() || Int(locked[0][0]) != key_revision) {
      return Status(ErrorCode::kWriteConflict,
                    "key " + g.key_id + " was changed by another writer since it was read");
    }
    if (!g.name.empty()) {
      ARCANA_ASSIGN_OR_RETURN(
          auto named,
          DecodeGrants(tx.Exec("SELECT meta FROM kms_grants WHERE account = $1 AND region = $2 "
                               "AND key_id = $3 AND strpos(meta, $4) > 0 ORDER BY grant_id",
                               {g.account, g.region, g.key_id, KmsGrantNameField(g.name)})));
      for (auto& e : named) {
        if (domain::kms::SameNamedGrant(e, g)) {
          out = std::move(e);
          return Status::Ok();
        }
      }
    }
    const int64_t count = Int(tx.Exec("SELECT count(*) FROM kms_grants WHERE account = $1 AND "
                                      "region = $2 AND key_id = $3",
                                      key)[0][0]);
    if (count >= static_cast<int64_t>(max_grants)) {
      return Status(ErrorCode::kKmsLimitExceeded,
                    "Too many grants on " + domain::kms::KeyArn(g.region, g.account, g.key_id));
    }
    tx.Exec(
        "INSERT INTO kms_grants (account, region, key_id, grant_id, retiring, meta) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        {g.account, g.region, g.key_id, g.grant_id, g.retiring_principal, EncodeKmsGrant(g)});
    tx.AddChange({0, 0, g.account, g.region, kService,
                  domain::kms::KeyArn(g.region, g.account, g.key_id), "CreateGrant"});
    out = g;
    return Status::Ok();
  }));
  return out;
}

// One page of grants selected by `sql` with `params` (the limit clamped by the caller).
static Result<std::vector<Grant>> ListGrantsPage(Database& db, const std::string& sql,
                                                 const Params& params) {
  std::vector<Grant> out;
  ARCANA_RETURN_IF_ERROR(db.Read("list grants", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(out, DecodeGrants(tx.Exec(sql, params)));
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<Grant>> PgKmsStore::ListKmsGrants(const Scope& scope, const std::string& key_id,
                                                     const std::string& after_grant_id,
                                                     size_t limit) {
  return ListGrantsPage(db_,
                        "SELECT meta FROM kms_grants WHERE account = $1 AND region = $2 "
                        "AND key_id = $3 AND grant_id > $4 ORDER BY grant_id LIMIT $5",
                        {scope.account, scope.region, key_id, after_grant_id,
                         std::min(limit, kMaxListLimit)});
}

Result<std::vector<Grant>> PgKmsStore::ListKmsGrantsByRetiringPrincipal(
    const std::string& region, const std::string& principal, const std::string& after_grant_id,
    size_t limit) {
  return ListGrantsPage(db_,
                        "SELECT meta FROM kms_grants WHERE region = $1 AND retiring = $2 "
                        "AND grant_id > $3 ORDER BY grant_id LIMIT $4",
                        {region, principal, after_grant_id, std::min(limit, kMaxListLimit)});
}

Status PgKmsStore::DeleteKmsGrant(const Scope& scope, const std::string& key_id,
                                  const std::string& grant_id) {
  return db_.Write("delete grant", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "DELETE FROM kms_grants WHERE account = $1 AND region = $2 AND key_id = $3 "
        "AND grant_id = $4 RETURNING 1",
        {scope.account, scope.region, key_id, grant_id});
    if (r.empty()) return Status(ErrorCode::kKmsNotFound, "Grant ID " + grant_id + " not found");
    tx.AddChange({0, 0, scope.account, scope.region, kService,
                  domain::kms::KeyArn(scope.region, scope.account, key_id), "DeleteGrant"});
    return Status::Ok();
  });
}

Result<std::vector<KeyMaterialRecord>> PgKmsStore::ListKeyMaterials() {
  std::vector<KeyMaterialRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list key materials", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
             "ORDER BY key_id, material_id")) {
      out.push_back({Text(row[0]), Text(row[1]), Text(row[2]), Bytes(row[3])});
    }
    return Status::Ok();
  }));
  return out;
}

Status PgKmsStore::RewrapKeyMaterials(
    const std::function<Result<std::string>(const KeyMaterialRecord&)>& rewrap) {
  return db_.Write("rewrap key materials", [&](Tx& tx) -> Status {
    std::set<std::string> keys;
    for (const auto& row : tx.Exec(
             "SELECT key_id, material_id, aad, wrapped FROM kms_key_materials "
             "ORDER BY key_id, material_id FOR UPDATE")) {
      KeyMaterialRecord m{Text(row[0]), Text(row[1]), Text(row[2]), Bytes(row[3])};
      ARCANA_ASSIGN_OR_RETURN(std::string wrapped, rewrap(m));
      tx.Exec(
          "UPDATE kms_key_materials SET wrapped = $3 WHERE key_id = $1 AND material_id = $2",
          {m.key_id, m.material_id, Param::Bytes(wrapped)});
      keys.insert(m.key_id);
    }
    AddMaterialChanges(tx, {keys.begin(), keys.end()}, "RewrapKeyMaterials");
    return Status::Ok();
  });
}

Status PgKmsStore::WipeKms() {
  return db_.Write("wipe kms", [&](Tx& tx) {
    tx.Exec("DELETE FROM kms_grants");
    tx.Exec("DELETE FROM kms_key_materials");
    tx.Exec("DELETE FROM kms_key_last_usage");
    for (const auto& row : tx.Exec("DELETE FROM kms_aliases RETURNING account, region, name")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService,
                    domain::kms::AliasArn(Text(row[1]), Text(row[0]), Text(row[2])), "WipeKms"});
    }
    for (const auto& row : tx.Exec("DELETE FROM kms_keys RETURNING account, region, key_id")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService,
                   domain::kms::KeyArn(Text(row[1]), Text(row[0]), Text(row[2])), "WipeKms"});
    }
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
