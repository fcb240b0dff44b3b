#include "storage/sqlite/identity_store.h"

#include <algorithm>
#include <string_view>

#include "storage/sqlite/meta_store.h"

namespace arcana::storage::sqlite {

namespace {

const char* const kIamMigrations[] = {
    // 1: identities, user access keys, STS sessions.
    R"sql(
    CREATE TABLE iam_entities (
      account    TEXT NOT NULL,
      kind       TEXT NOT NULL,
      name_key   TEXT NOT NULL,
      name       TEXT NOT NULL,
      id         TEXT NOT NULL,
      path       TEXT NOT NULL,
      doc        TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      revision   INTEGER NOT NULL,
      PRIMARY KEY (account, kind, name_key)
    ) WITHOUT ROWID;
    CREATE TABLE iam_access_keys (
      id           TEXT PRIMARY KEY,
      account      TEXT NOT NULL,
      user_key     TEXT NOT NULL,
      user_name    TEXT NOT NULL,
      sealed       BLOB NOT NULL,
      status       TEXT NOT NULL,
      created_ms   INTEGER NOT NULL,
      last_used_ms INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;
    CREATE INDEX iam_access_keys_by_user ON iam_access_keys(account, user_key);
    CREATE TABLE sts_sessions (
      id         TEXT PRIMARY KEY,
      account    TEXT NOT NULL,
      sealed     BLOB NOT NULL,
      expires_ms INTEGER NOT NULL,
      created_ms INTEGER NOT NULL,
      doc        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_ms);
    )sql",
    // 2: where a key was last used (GetAccessKeyLastUsed), beside last_used_ms.
    R"sql(
    ALTER TABLE iam_access_keys ADD COLUMN last_used_service TEXT NOT NULL DEFAULT '';
    ALTER TABLE iam_access_keys ADD COLUMN last_used_region TEXT NOT NULL DEFAULT '';
    )sql",
    // 3: entities' secrets (an MFA device's seed), sealed, apart from their documents.
    R"sql(
    CREATE TABLE iam_entity_secrets (
      id      TEXT PRIMARY KEY,
      account TEXT NOT NULL,
      kind    TEXT NOT NULL,
      sealed  BLOB NOT NULL
    ) WITHOUT ROWID;
    )sql",
    // 4: last accessed information (IAM access advisor): each user's and role's latest call
    // per service (action '') and per action; when tracking began (this step's first run, in
    // ms); the reports of GenerateServiceLastAccessedDetails jobs.
    R"sql(
    CREATE TABLE iam_service_last_access (
      account   TEXT NOT NULL,
      entity_id TEXT NOT NULL,
      service   TEXT NOT NULL,
      action    TEXT NOT NULL,
      used_ms   INTEGER NOT NULL,
      region    TEXT NOT NULL,
      PRIMARY KEY (account, entity_id, service, action)
    ) WITHOUT ROWID;
    CREATE TABLE iam_service_access_tracking (
      id       INTEGER PRIMARY KEY CHECK (id = 1),
      since_ms INTEGER NOT NULL
    );
    INSERT INTO iam_service_access_tracking (id, since_ms)
      VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
    CREATE TABLE iam_service_access_jobs (
      id         TEXT PRIMARY KEY,
      account    TEXT NOT NULL,
      owner      TEXT NOT NULL,
      created_ms INTEGER NOT NULL,
      expires_ms INTEGER NOT NULL,
      report     TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX iam_service_access_jobs_by_expiry ON iam_service_access_jobs(expires_ms);
    )sql",
    // 5: the jobs of an owner and of an account, oldest first, for the caps on them
    // (IdentityStore::PutServiceAccessJob).
    R"sql(
    CREATE INDEX iam_service_access_jobs_by_owner
      ON iam_service_access_jobs(account, owner, created_ms, id);
    CREATE INDEX iam_service_access_jobs_by_account
      ON iam_service_access_jobs(account, created_ms, id);
    )sql",
};

constexpr const char* kKeyService = "arcana";  // the authenticator follows key ids here

std::string EntityResource(const IamEntity& e) {
  return e.account + ":" + e.kind + "/" + e.name;
}

IamEntity ReadEntity(sqlite3_stmt* st) {
  IamEntity e;
  e.account = ColText(st, 0);
  e.kind = ColText(st, 1);
  e.name = ColText(st, 2);
  e.id = ColText(st, 3);
  e.path = ColText(st, 4);
  e.doc = ColText(st, 5);
  e.created_ms = sqlite3_column_int64(st, 6);
  e.revision = sqlite3_column_int64(st, 7);
  return e;
}

UserAccessKey ReadKey(sqlite3_stmt* st) {
  UserAccessKey k;
  k.access_key_id = ColText(st, 0);
  k.account = ColText(st, 1);
  k.user_name = ColText(st, 2);
  k.sealed_secret = ColText(st, 3);
  k.status = ColText(st, 4);
  k.created_ms = sqlite3_column_int64(st, 5);
  k.last_used_ms = sqlite3_column_int64(st, 6);
  k.last_used_service = ColText(st, 7);
  k.last_used_region = ColText(st, 8);
  return k;
}

// The stored revision of an entity, 0 when absent.
Result<int64_t> RevisionOf(Conn& c, const IamEntity& e) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT revision FROM iam_entities WHERE account = ? AND kind = ? AND name_key = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, e.account);
  BindText(st, 2, e.kind);
  BindText(st, 3, IamNameKey(e.name));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return DbError(c.db(), "read entity");
  int64_t rev = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return rev;
}

Result<int64_t> CountUserKeys(Conn& c, const std::string& account, const std::string& user) {
  sqlite3_stmt* st =
      c.Prepare("SELECT COUNT(*) FROM iam_access_keys WHERE account = ? AND user_key = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, IamNameKey(user));
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "count access keys");
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

Result<int64_t> CountOfKind(Conn& c, const std::string& account, const std::string& kind) {
  sqlite3_stmt* st =
      c.Prepare("SELECT COUNT(*) FROM iam_entities WHERE account = ? AND kind = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, kind);
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "count entities");
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

Status WriteOne(WriteTxn& txn, const EntityWrite& w, const std::string& op) {
  Conn& c = txn.conn();
  const IamEntity& e = w.entity;
  ARCANA_ASSIGN_OR_RETURN(int64_t stored, RevisionOf(c, e));
  if (w.op == EntityWrite::Op::kDelete) {
    if (stored == 0 || stored != e.revision) return Conflict(e.kind + " " + e.name);
    if (e.kind == "user") {
      ARCANA_ASSIGN_OR_RETURN(int64_t keys, CountUserKeys(c, e.account, e.name));
      if (keys > 0) {
        return Status(ErrorCode::kConflict,
                      "Cannot delete entity, must delete access keys first.");
      }
    }
    sqlite3_stmt* del = c.Prepare(
        "DELETE FROM iam_entities WHERE account = ? AND kind = ? AND name_key = ?");
    if (!del) return DbError(c.db(), "prepare");
    BindText(del, 1, e.account);
    BindText(del, 2, e.kind);
    BindText(del, 3, IamNameKey(e.name));
    ARCANA_RETURN_IF_ERROR(Step(c, del, "delete entity"));
    if (!e.id.empty()) {
      sqlite3_stmt* secret = c.Prepare("DELETE FROM iam_entity_secrets WHERE id = ?");
      if (!secret) return DbError(c.db(), "prepare");
      BindText(secret, 1, e.id);
      ARCANA_RETURN_IF_ERROR(Step(c, secret, "delete entity secret"));
    }
    return txn.AddChange(e.account, "", "iam", EntityResource(e), op);
  }
  if (e.revision == 0 && stored != 0) {
    return Status(ErrorCode::kResourceExists, e.kind + " " + e.name + " exists");
  }
  if (e.revision != stored) return Conflict(e.kind + " " + e.name);
  if (e.revision == 0 && w.quota) {
    // Inside the one writer's transaction: no other write runs between the count and the
    // insert below (the batch's earlier writes are counted).
    ARCANA_ASSIGN_OR_RETURN(int64_t held, CountOfKind(c, e.account, e.kind));
    if (held >= w.quota->max) {
      return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for " + w.quota->name +
                                                   ": " + std::to_string(w.quota->max));
    }
  }
  sqlite3_stmt* st = c.Prepare(
      "INSERT OR REPLACE INTO iam_entities (account, kind, name_key, name, id, path, doc, "
      "created_ms, revision) VALUES (?,?,?,?,?,?,?,?,?)");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, e.account);
  BindText(st, 2, e.kind);
  BindText(st, 3, IamNameKey(e.name));
  BindText(st, 4, e.name);
  BindText(st, 5, e.id);
  BindText(st, 6, e.path);
  BindText(st, 7, e.doc);
  sqlite3_bind_int64(st, 8, e.created_ms);
  sqlite3_bind_int64(st, 9, stored + 1);
  ARCANA_RETURN_IF_ERROR(Step(c, st, "write entity"));
  if (w.sealed_secret) {
    sqlite3_stmt* secret = c.Prepare(
        "INSERT OR REPLACE INTO iam_entity_secrets (id, account, kind, sealed) VALUES (?,?,?,?)");
    if (!secret) return DbError(c.db(), "prepare");
    BindText(secret, 1, e.id);
    BindText(secret, 2, e.account);
    BindText(secret, 3, e.kind);
    BindBlob(secret, 4, *w.sealed_secret);
    ARCANA_RETURN_IF_ERROR(Step(c, secret, "write entity secret"));
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, *w.sealed_secret));
  }
  return txn.AddChange(e.account, "", "iam", EntityResource(e), op);
}

}  // namespace

Migrations SqliteIdentityStore::Schema() {
  return {"iam", kIamMigrations, std::size(kIamMigrations)};
}

Result<std::optional<IamEntity>> SqliteIdentityStore::GetEntity(const std::string& account,
                                                                const std::string& kind,
                                                                const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, kind, name, id, path, doc, created_ms, revision FROM iam_entities "
      "WHERE account = ? AND kind = ? AND name_key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, kind);
  BindText(st, 3, IamNameKey(name));
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<IamEntity>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read entity");
  auto e = ReadEntity(st);
  sqlite3_reset(st);
  return std::optional<IamEntity>(std::move(e));
}

Result<std::vector<IamEntity>> SqliteIdentityStore::ListEntities(const std::string& account,
                                                                 const std::string& kind,
                                                                 const std::string& path_prefix,
                                                                 const std::string& after_name,
                                                                 size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, kind, name, id, path, doc, created_ms, revision FROM iam_entities "
      "WHERE account = ? AND kind = ? AND name_key > ? AND substr(path, 1, ?) = ? "
      "ORDER BY name_key LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, kind);
  BindText(st, 3, IamNameKey(after_name));
  sqlite3_bind_int64(st, 4, static_cast<int64_t>(path_prefix.size()));
  BindText(st, 5, path_prefix);
  sqlite3_bind_int64(st, 6, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<IamEntity> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadEntity(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list entities");
  return out;
}

Result<IamEntityCounts> SqliteIdentityStore::CountEntities(const std::string& account,
                                                           const std::vector<std::string>& kinds) {
  ARCANA_LEASE(c, db_.pool());
  IamEntityCounts out;
  for (const auto& kind : kinds) {
    // json_extract runs only over the policy rows (the CASE); other kinds are counted alone.
    static_assert(std::string_view(kPolicyAttachmentsMember) == "attachments");
    sqlite3_stmt* st = c->Prepare(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'policy' THEN "
        "json_extract(doc, '$.attachments') END), 0) FROM iam_entities "
        "WHERE account = ? AND kind = ?");
    if (!st) return DbError(c->db(), "prepare");
    BindText(st, 1, account);
    BindText(st, 2, kind);
    if (sqlite3_step(st) != SQLITE_ROW) return DbError(c->db(), "count entities");
    out.by_kind[kind] = sqlite3_column_int64(st, 0);
    if (kind == "policy") out.policy_attachments = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
  }
  return out;
}

Status SqliteIdentityStore::WriteEntities(const std::vector<EntityWrite>& writes,
                                          const std::string& op) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    for (const auto& w : writes) ARCANA_RETURN_IF_ERROR(WriteOne(txn, w, op));
    return Status::Ok();
  });
}

Result<std::optional<std::string>> SqliteIdentityStore::GetEntitySecret(
    const std::string& entity_id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare("SELECT sealed FROM iam_entity_secrets WHERE id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, entity_id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read entity secret");
  std::string sealed = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(sealed));
}

Status SqliteIdentityStore::PutUserAccessKey(const UserAccessKey& k, size_t max_per_user) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    IamEntity user{k.account, "user", k.user_name};
    ARCANA_ASSIGN_OR_RETURN(int64_t rev, RevisionOf(c, user));
    if (rev == 0) {
      return Status(ErrorCode::kResourceNotFound,
                    "The user with name " + k.user_name + " cannot be found.");
    }
    ARCANA_ASSIGN_OR_RETURN(int64_t count, CountUserKeys(c, k.account, k.user_name));
    if (static_cast<size_t>(count) >= max_per_user) {
      return Status(ErrorCode::kLimitExceeded,
                    "Cannot exceed quota for AccessKeysPerUser: " + std::to_string(max_per_user));
    }
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO iam_access_keys (id, account, user_key, user_name, sealed, status, "
        "created_ms) VALUES (?,?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, k.access_key_id);
    BindText(st, 2, k.account);
    BindText(st, 3, IamNameKey(k.user_name));
    BindText(st, 4, k.user_name);
    BindBlob(st, 5, k.sealed_secret);
    BindText(st, 6, k.status);
    sqlite3_bind_int64(st, 7, k.created_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
      sqlite3_reset(st);
      return Status(ErrorCode::kResourceExists, "access key " + k.access_key_id + " exists");
    }
    if (rc != SQLITE_DONE) return DbError(c.db(), "write access key");
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, k.sealed_secret));
    return txn.AddChange(k.account, "", kKeyService, k.access_key_id, "CreateAccessKey");
  });
}

Result<std::optional<UserAccessKey>> SqliteIdentityStore::GetUserAccessKey(const std::string& id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, account, user_name, sealed, status, created_ms, last_used_ms, "
      "last_used_service, last_used_region "
      "FROM iam_access_keys WHERE id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<UserAccessKey>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read access key");
  auto k = ReadKey(st);
  sqlite3_reset(st);
  return std::optional<UserAccessKey>(std::move(k));
}

Result<std::vector<UserAccessKey>> SqliteIdentityStore::ListUserAccessKeys(
    const std::string& account, const std::string& user) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, account, user_name, sealed, status, created_ms, last_used_ms, "
      "last_used_service, last_used_region "
      "FROM iam_access_keys WHERE account = ? AND user_key = ? ORDER BY id LIMIT 100");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, IamNameKey(user));
  std::vector<UserAccessKey> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadKey(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list access keys");
  return out;
}

Status SqliteIdentityStore::SetUserAccessKeyStatus(const std::string& account,
                                                   const std::string& user, const std::string& id,
                                                   const std::string& status) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "UPDATE iam_access_keys SET status = ? WHERE id = ? AND account = ? AND user_key = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, status);
    BindText(st, 2, id);
    BindText(st, 3, account);
    BindText(st, 4, IamNameKey(user));
    ARCANA_RETURN_IF_ERROR(Step(c, st, "update access key"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kResourceNotFound, "The Access Key with id " + id + " cannot be found.");
    }
    return txn.AddChange(account, "", kKeyService, id, "UpdateAccessKey");
  });
}

Status SqliteIdentityStore::DeleteUserAccessKey(const std::string& account,
                                                const std::string& user, const std::string& id) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM iam_access_keys WHERE id = ? AND account = ? AND user_key = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, id);
    BindText(st, 2, account);
    BindText(st, 3, IamNameKey(user));
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete access key"));
    if (sqlite3_changes(c.db()) == 0) {
      return Status(ErrorCode::kResourceNotFound, "The Access Key with id " + id + " cannot be found.");
    }
    return txn.AddChange(account, "", kKeyService, id, "DeleteAccessKey");
  });
}

Status SqliteIdentityStore::RenameUser(const std::string& account, const std::string& old_name,
                                       const std::vector<UserAccessKey>& rebound,
                                       const std::vector<EntityWrite>& writes) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    for (const auto& k : rebound) {
      sqlite3_stmt* st = c.Prepare(
          "UPDATE iam_access_keys SET user_key = ?, user_name = ?, sealed = ? "
          "WHERE id = ? AND account = ? AND user_key = ?");
      if (!st) return DbError(c.db(), "prepare");
      BindText(st, 1, IamNameKey(k.user_name));
      BindText(st, 2, k.user_name);
      BindBlob(st, 3, k.sealed_secret);
      BindText(st, 4, k.access_key_id);
      BindText(st, 5, account);
      BindText(st, 6, IamNameKey(old_name));
      ARCANA_RETURN_IF_ERROR(Step(c, st, "move access key"));
      if (sqlite3_changes(c.db()) == 0) return Conflict("access key " + k.access_key_id);
      ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, k.sealed_secret));
      ARCANA_RETURN_IF_ERROR(
          txn.AddChange(account, "", kKeyService, k.access_key_id, "UpdateUser"));
    }
    // A case-only rename keeps the user key: its keys were moved onto it above.
    if (rebound.empty() || IamNameKey(rebound[0].user_name) != IamNameKey(old_name)) {
      ARCANA_ASSIGN_OR_RETURN(int64_t left, CountUserKeys(c, account, old_name));
      if (left > 0) return Conflict("access keys of user " + old_name);
    }
    for (const auto& w : writes) ARCANA_RETURN_IF_ERROR(WriteOne(txn, w, "UpdateUser"));
    return Status::Ok();
  });
}

Status SqliteIdentityStore::RecordAccessKeyUses(const std::vector<AccessKeyUse>& uses) {
  if (uses.empty()) return Status::Ok();
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    for (const auto& u : uses) {
      sqlite3_stmt* st = c.Prepare(
          "UPDATE iam_access_keys SET last_used_ms = ?, last_used_service = ?, "
          "last_used_region = ? WHERE id = ? AND last_used_ms < ?");
      if (!st) return DbError(c.db(), "prepare");
      sqlite3_bind_int64(st, 1, u.when_ms);
      BindText(st, 2, u.service);
      BindText(st, 3, u.region);
      BindText(st, 4, u.access_key_id);
      sqlite3_bind_int64(st, 5, u.when_ms);
      ARCANA_RETURN_IF_ERROR(Step(c, st, "record access key use"));
    }
    return Status::Ok();
  });
}

Status SqliteIdentityStore::RecordServiceUses(const std::vector<ServiceUse>& uses) {
  if (uses.empty()) return Status::Ok();
  const std::vector<const ServiceUse*> sorted = InKeyOrder(uses);  // as PostgreSQL's
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    // The action rows, then the services' rows (action ''), each kept when later.
    for (bool service_rows : {false, true}) {
      for (const ServiceUse* u : sorted) {
        if (!service_rows && u->action.empty()) continue;
        sqlite3_stmt* st = c.Prepare(
            "INSERT INTO iam_service_last_access (account, entity_id, service, action, used_ms, "
            "region) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (account, entity_id, service, "
            "action) DO UPDATE SET used_ms = excluded.used_ms, region = excluded.region "
            "WHERE iam_service_last_access.used_ms < excluded.used_ms");
        if (!st) return DbError(c.db(), "prepare");
        BindText(st, 1, u->account);
        BindText(st, 2, u->entity_id);
        BindText(st, 3, u->service);
        BindText(st, 4, service_rows ? std::string() : u->action);
        sqlite3_bind_int64(st, 5, u->when_ms);
        BindText(st, 6, u->region);
        ARCANA_RETURN_IF_ERROR(Step(c, st, "record service use"));
      }
    }
    return Status::Ok();
  });
}

Result<std::vector<ServiceUse>> SqliteIdentityStore::ListServiceUses(
    const std::string& account, const std::vector<std::string>& entity_ids) {
  ARCANA_LEASE(c, db_.pool());
  std::vector<ServiceUse> out;
  for (const auto& id : entity_ids) {
    sqlite3_stmt* st = c->Prepare(
        "SELECT service, action, used_ms, region FROM iam_service_last_access "
        "WHERE account = ? AND entity_id = ? LIMIT ?");
    if (!st) return DbError(c->db(), "prepare");
    BindText(st, 1, account);
    BindText(st, 2, id);
    sqlite3_bind_int64(st, 3, static_cast<int64_t>(kMaxListLimit));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      out.push_back({account, id, ColText(st, 0), ColText(st, 1), sqlite3_column_int64(st, 2),
                     ColText(st, 3)});
    }
    if (rc != SQLITE_DONE) return DbError(c->db(), "list service uses");
  }
  return out;
}

Result<int64_t> SqliteIdentityStore::ServiceUseTrackingSince() {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st =
      c->Prepare("SELECT since_ms FROM iam_service_access_tracking WHERE id = 1");
  if (!st) return DbError(c->db(), "prepare");
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    Status err = rc == SQLITE_DONE ? Status(ErrorCode::kInternalServiceError,
                                            "service access tracking row missing")
                                   : DbError(c->db(), "read service access tracking");
    sqlite3_reset(st);
    return err;
  }
  int64_t since = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return since;
}

Status SqliteIdentityStore::PutServiceAccessJob(const ServiceAccessJob& job) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* purge = c.Prepare(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE expires_ms < ? LIMIT ?)");
    if (!purge) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(purge, 1, job.created_ms);
    sqlite3_bind_int64(purge, 2, static_cast<int64_t>(kJobPurgeBatch));
    ARCANA_RETURN_IF_ERROR(Step(c, purge, "drop expired service access jobs"));
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO iam_service_access_jobs (id, account, owner, created_ms, expires_ms, "
        "report) VALUES (?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, job.job_id);
    BindText(st, 2, job.account);
    BindText(st, 3, job.owner);
    sqlite3_bind_int64(st, 4, job.created_ms);
    sqlite3_bind_int64(st, 5, job.expires_ms);
    BindText(st, 6, job.report);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
      sqlite3_reset(st);
      return Status(ErrorCode::kResourceExists, "job " + job.job_id + " exists");
    }
    if (rc != SQLITE_DONE) return DbError(c.db(), "write service access job");
    // The caps: the owner's jobs, then the account's, beyond the newest kJobsPer*.
    sqlite3_stmt* owner_cap = c.Prepare(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE account = ? AND owner = ? "
        "ORDER BY created_ms DESC, id DESC LIMIT -1 OFFSET ?)");
    if (!owner_cap) return DbError(c.db(), "prepare");
    BindText(owner_cap, 1, job.account);
    BindText(owner_cap, 2, job.owner);
    sqlite3_bind_int64(owner_cap, 3, static_cast<int64_t>(kJobsPerOwner));
    ARCANA_RETURN_IF_ERROR(Step(c, owner_cap, "drop an owner's oldest service access jobs"));
    sqlite3_stmt* account_cap = c.Prepare(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE account = ? "
        "ORDER BY created_ms DESC, id DESC LIMIT -1 OFFSET ?)");
    if (!account_cap) return DbError(c.db(), "prepare");
    BindText(account_cap, 1, job.account);
    sqlite3_bind_int64(account_cap, 2, static_cast<int64_t>(kJobsPerAccount));
    return Step(c, account_cap, "drop an account's oldest service access jobs");
  });
}

Result<std::optional<ServiceAccessJob>> SqliteIdentityStore::GetServiceAccessJob(
    const std::string& job_id, int64_t now_ms) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, account, owner, created_ms, expires_ms, report FROM iam_service_access_jobs "
      "WHERE id = ? AND expires_ms >= ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, job_id);
  sqlite3_bind_int64(st, 2, now_ms);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<ServiceAccessJob>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read service access job");
  ServiceAccessJob j{ColText(st, 0), ColText(st, 1), ColText(st, 2),
                     sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), ColText(st, 5)};
  sqlite3_reset(st);
  return std::optional<ServiceAccessJob>(std::move(j));
}

Status SqliteIdentityStore::PutSession(const StsSession& s) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO sts_sessions (id, account, sealed, expires_ms, created_ms, doc) "
        "VALUES (?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, s.access_key_id);
    BindText(st, 2, s.account);
    BindBlob(st, 3, s.sealed);
    sqlite3_bind_int64(st, 4, s.expires_ms);
    sqlite3_bind_int64(st, 5, s.created_ms);
    BindText(st, 6, s.doc);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_CONSTRAINT) {
      sqlite3_reset(st);
      return Status(ErrorCode::kResourceExists, "session " + s.access_key_id + " exists");
    }
    if (rc != SQLITE_DONE) return DbError(c.db(), "write session");
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(c, s.sealed));
    return txn.AddChange(s.account, "", "sts", s.access_key_id, "CreateSession");
  });
}

Result<std::optional<StsSession>> SqliteIdentityStore::GetSession(const std::string& id) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, account, sealed, expires_ms, created_ms, doc FROM sts_sessions WHERE id = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<StsSession>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read session");
  StsSession s;
  s.access_key_id = ColText(st, 0);
  s.account = ColText(st, 1);
  s.sealed = ColText(st, 2);
  s.expires_ms = sqlite3_column_int64(st, 3);
  s.created_ms = sqlite3_column_int64(st, 4);
  s.doc = ColText(st, 5);
  sqlite3_reset(st);
  return std::optional<StsSession>(std::move(s));
}

Result<size_t> SqliteIdentityStore::DeleteExpiredSessions(int64_t before_ms, size_t limit) {
  size_t deleted = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    deleted = 0;
    Conn& c = txn.conn();
    // Expired sessions are refused by their expiry already: no change row is needed for a
    // cache to drop them.
    sqlite3_stmt* st = c.Prepare(
        "DELETE FROM sts_sessions WHERE id IN (SELECT id FROM sts_sessions "
        "WHERE expires_ms < ? LIMIT ?)");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, before_ms);
    sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
    ARCANA_RETURN_IF_ERROR(Step(c, st, "delete expired sessions"));
    deleted = static_cast<size_t>(sqlite3_changes(c.db()));
    return Status::Ok();
  }));
  return deleted;
}

Status SqliteIdentityStore::WipeIdentities() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    ARCANA_RETURN_IF_ERROR(txn.conn().Exec(
        "DELETE FROM iam_entities; DELETE FROM iam_entity_secrets; DELETE FROM iam_access_keys; "
        "DELETE FROM sts_sessions; DELETE FROM iam_service_last_access; "
        "DELETE FROM iam_service_access_jobs;"));
    return txn.AddChange("", "", "iam", "*", "Reset");
  });
}

}  // namespace arcana::storage::sqlite
