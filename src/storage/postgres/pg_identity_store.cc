#include "storage/postgres/pg_identity_store.h"

#include <algorithm>

#include "storage/postgres/pg_meta_store.h"

namespace arcana::storage::pg {

namespace {

constexpr const char* kKeyService = "arcana";  // the authenticator follows key ids here

const char* const kIamV1 = R"sql(
CREATE TABLE iam_entities (
  account    TEXT COLLATE "C" NOT NULL,
  kind       TEXT COLLATE "C" NOT NULL,
  name_key   TEXT COLLATE "C" NOT NULL,
  name       TEXT NOT NULL,
  id         TEXT NOT NULL,
  path       TEXT COLLATE "C" NOT NULL,
  doc        TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  revision   BIGINT NOT NULL,
  PRIMARY KEY (account, kind, name_key)
);
CREATE TABLE iam_access_keys (
  id           TEXT COLLATE "C" PRIMARY KEY,
  account      TEXT COLLATE "C" NOT NULL,
  user_key     TEXT COLLATE "C" NOT NULL,
  user_name    TEXT NOT NULL,
  sealed       BYTEA NOT NULL,
  status       TEXT NOT NULL,
  created_ms   BIGINT NOT NULL,
  last_used_ms BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX iam_access_keys_by_user ON iam_access_keys(account, user_key);
CREATE TABLE sts_sessions (
  id         TEXT COLLATE "C" PRIMARY KEY,
  account    TEXT COLLATE "C" NOT NULL,
  sealed     BYTEA NOT NULL,
  expires_ms BIGINT NOT NULL,
  created_ms BIGINT NOT NULL,
  doc        TEXT NOT NULL
);
CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_ms);
)sql";

constexpr const char* kEntityColumns =
    "SELECT account, kind, name, id, path, doc, created_ms, revision FROM iam_entities ";
constexpr const char* kKeyColumns =
    "SELECT id, account, user_name, sealed, status, created_ms, last_used_ms, "
    "last_used_service, last_used_region FROM iam_access_keys ";

IamEntity DecodeEntity(const pqxx::row& r) {
  return {Text(r[0]), Text(r[1]), Text(r[2]), Text(r[3]),
          Text(r[4]), Text(r[5]), Int(r[6]),  Int(r[7])};
}

UserAccessKey DecodeKey(const pqxx::row& r) {
  return {Text(r[0]), Text(r[1]), Text(r[2]), Bytes(r[3]), Text(r[4]),
          Int(r[5]),  Int(r[6]),  Text(r[7]), Text(r[8])};
}

std::string EntityResource(const IamEntity& e) {
  return e.account + ":" + e.kind + "/" + e.name;
}

Status NoSuchKey(const std::string& id) {
  return Status(ErrorCode::kResourceNotFound, "The Access Key with id " + id + " cannot be found.");
}

Status WriteOne(Tx& tx, const EntityWrite& w, const std::string& op) {
  const IamEntity& e = w.entity;
  const std::string key = IamNameKey(e.name);
  if (w.op == EntityWrite::Op::kDelete) {
    // Lock the row at its revision first: a concurrent key create waits, or is seen below.
    auto locked = tx.Exec(
        "SELECT 1 FROM iam_entities WHERE account = $1 AND kind = $2 AND name_key = $3 "
        "AND revision = $4 FOR UPDATE",
        {e.account, e.kind, key, e.revision});
    if (locked.empty()) return Status(ErrorCode::kWriteConflict, e.kind + " " + e.name);
    if (e.kind == "user") {
      auto keys = tx.Exec(
          "SELECT 1 FROM iam_access_keys WHERE account = $1 AND user_key = $2 LIMIT 1",
          {e.account, key});
      if (!keys.empty()) {
        return Status(ErrorCode::kConflict,
                      "Cannot delete entity, must delete access keys first.");
      }
    }
    tx.Exec("DELETE FROM iam_entities WHERE account = $1 AND kind = $2 AND name_key = $3",
            {e.account, e.kind, key});
    if (!e.id.empty()) tx.Exec("DELETE FROM iam_entity_secrets WHERE id = $1", {e.id});
  } else if (e.revision == 0) {
    if (w.quota) {
      // Creates under a quota of this account and kind take turns (the lock is held until
      // commit), so each counts every one committed before it: two nodes cannot both pass
      // at max - 1. READ COMMITTED: the count below sees what the previous holder committed.
      tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7215))",
              {e.account + "\n" + e.kind});
      auto taken = tx.Exec(
          "SELECT 1 FROM iam_entities WHERE account = $1 AND kind = $2 AND name_key = $3",
          {e.account, e.kind, key});
      if (!taken.empty()) {
        return Status(ErrorCode::kResourceExists, e.kind + " " + e.name + " exists");
      }
      auto held = tx.Exec("SELECT COUNT(*) FROM iam_entities WHERE account = $1 AND kind = $2",
                          {e.account, e.kind});
      if (Int(held[0][0]) >= w.quota->max) {
        return Status(ErrorCode::kLimitExceeded, "Cannot exceed quota for " + w.quota->name +
                                                     ": " + std::to_string(w.quota->max));
      }
    }
    auto r = tx.Exec(
        "INSERT INTO iam_entities (account, kind, name_key, name, id, path, doc, created_ms, "
        "revision) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1) ON CONFLICT DO NOTHING RETURNING 1",
        {e.account, e.kind, key, e.name, e.id, e.path, e.doc, e.created_ms});
    if (r.empty()) {
      return Status(ErrorCode::kResourceExists, e.kind + " " + e.name + " exists");
    }
  } else {
    auto r = tx.Exec(
        "UPDATE iam_entities SET name = $4, id = $5, path = $6, doc = $7, "
        "revision = revision + 1 WHERE account = $1 AND kind = $2 AND name_key = $3 "
        "AND revision = $8 RETURNING 1",
        {e.account, e.kind, key, e.name, e.id, e.path, e.doc, e.revision});
    if (r.empty()) return Status(ErrorCode::kWriteConflict, e.kind + " " + e.name);
  }
  if (w.op == EntityWrite::Op::kPut && w.sealed_secret) {
    tx.Exec(
        "INSERT INTO iam_entity_secrets (id, account, kind, sealed) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET account = EXCLUDED.account, kind = EXCLUDED.kind, "
        "sealed = EXCLUDED.sealed",
        {e.id, e.account, e.kind, Param::Bytes(*w.sealed_secret)});
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, *w.sealed_secret));
  }
  tx.AddChange({0, 0, e.account, "", "iam", EntityResource(e), op});
  return Status::Ok();
}

// 2: where a key was last used (GetAccessKeyLastUsed), beside last_used_ms.
const char* const kIamV2 = R"sql(
ALTER TABLE iam_access_keys ADD COLUMN last_used_service TEXT NOT NULL DEFAULT '',
                            ADD COLUMN last_used_region TEXT NOT NULL DEFAULT '';
)sql";

// 3: entities' secrets (an MFA device's seed), sealed, apart from their documents.
const char* const kIamV3 = R"sql(
CREATE TABLE iam_entity_secrets (
  id      TEXT COLLATE "C" PRIMARY KEY,
  account TEXT COLLATE "C" NOT NULL,
  kind    TEXT COLLATE "C" NOT NULL,
  sealed  BYTEA NOT NULL
);
)sql";

// 4: last accessed information (IAM access advisor): each user's and role's latest call per
// service (action '') and per action; when tracking began (this step's first run, in ms); the
// reports of GenerateServiceLastAccessedDetails jobs.
const char* const kIamV4 = R"sql(
CREATE TABLE iam_service_last_access (
  account   TEXT COLLATE "C" NOT NULL,
  entity_id TEXT COLLATE "C" NOT NULL,
  service   TEXT COLLATE "C" NOT NULL,
  action    TEXT COLLATE "C" NOT NULL,
  used_ms   BIGINT NOT NULL,
  region    TEXT NOT NULL,
  PRIMARY KEY (account, entity_id, service, action)
);
CREATE TABLE iam_service_access_tracking (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  since_ms BIGINT NOT NULL
);
INSERT INTO iam_service_access_tracking (id, since_ms)
  VALUES (1, (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT);
CREATE TABLE iam_service_access_jobs (
  id         TEXT COLLATE "C" PRIMARY KEY,
  account    TEXT COLLATE "C" NOT NULL,
  owner      TEXT NOT NULL,
  created_ms BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  report     TEXT NOT NULL
);
CREATE INDEX iam_service_access_jobs_by_expiry ON iam_service_access_jobs(expires_ms);
)sql";

// 5: the jobs of an owner and of an account, oldest first, for the caps on them
// (IdentityStore::PutServiceAccessJob).
const char* const kIamV5 = R"sql(
CREATE INDEX iam_service_access_jobs_by_owner
  ON iam_service_access_jobs(account, owner, created_ms, id);
CREATE INDEX iam_service_access_jobs_by_account
  ON iam_service_access_jobs(account, created_ms, id);
)sql";

}  // namespace

Migrations PgIdentityStore::Schema() { return {"iam", {kIamV1, kIamV2, kIamV3, kIamV4, kIamV5}}; }

Result<std::optional<IamEntity>> PgIdentityStore::GetEntity(const std::string& account,
                                                            const std::string& kind,
                                                            const std::string& name) {
  std::optional<IamEntity> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read entity", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kEntityColumns) +
                         "WHERE account = $1 AND kind = $2 AND name_key = $3",
                     {account, kind, IamNameKey(name)});
    if (!r.empty()) out = DecodeEntity(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<IamEntity>> PgIdentityStore::ListEntities(const std::string& account,
                                                             const std::string& kind,
                                                             const std::string& path_prefix,
                                                             const std::string& after_name,
                                                             size_t limit) {
  std::vector<IamEntity> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list entities", [&](Tx& tx) {
    out.clear();
    for (const auto& row : tx.Exec(
             std::string(kEntityColumns) +
                 "WHERE account = $1 AND kind = $2 AND name_key > $3 "
                 "AND left(path, $4) = $5 ORDER BY name_key LIMIT $6",
             {account, kind, IamNameKey(after_name), static_cast<int64_t>(path_prefix.size()),
              path_prefix, std::min(limit, kMaxListLimit)})) {
      out.push_back(DecodeEntity(row));
    }
    return Status::Ok();
  }));
  return out;
}

Result<IamEntityCounts> PgIdentityStore::CountEntities(const std::string& account,
                                                       const std::vector<std::string>& kinds) {
  IamEntityCounts out;
  ARCANA_RETURN_IF_ERROR(db_.Read("count entities", [&](Tx& tx) {
    out = IamEntityCounts{};
    for (const auto& kind : kinds) {
      // The JSON is parsed only for the policy rows (the CASE); other kinds are counted alone.
      auto r = tx.Exec(std::string("SELECT COUNT(*), COALESCE(SUM(CASE WHEN kind = 'policy' "
                                   "THEN (doc::jsonb ->> '") +
                           kPolicyAttachmentsMember +
                           "')::bigint END), 0) FROM iam_entities WHERE account = $1 AND "
                           "kind = $2",
                       {account, kind});
      out.by_kind[kind] = Int(r[0][0]);
      if (kind == "policy") out.policy_attachments = Int(r[0][1]);
    }
    return Status::Ok();
  }));
  return out;
}

Status PgIdentityStore::WriteEntities(const std::vector<EntityWrite>& writes,
                                      const std::string& op) {
  return db_.Write("write identities", [&](Tx& tx) -> Status {
    for (const auto& w : writes) ARCANA_RETURN_IF_ERROR(WriteOne(tx, w, op));
    return Status::Ok();
  });
}

Result<std::optional<std::string>> PgIdentityStore::GetEntitySecret(const std::string& entity_id) {
  std::optional<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read entity secret", [&](Tx& tx) {
    auto r = tx.Exec("SELECT sealed FROM iam_entity_secrets WHERE id = $1", {entity_id});
    out.reset();
    if (!r.empty()) out = Bytes(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Status PgIdentityStore::PutUserAccessKey(const UserAccessKey& k, size_t max_per_user) {
  return db_.Write("write access key", [&](Tx& tx) -> Status {
    const std::string user_key = IamNameKey(k.user_name);
    auto user = tx.Exec(
        "SELECT 1 FROM iam_entities WHERE account = $1 AND kind = 'user' AND name_key = $2 "
        "FOR UPDATE",
        {k.account, user_key});
    if (user.empty()) {
      return Status(ErrorCode::kResourceNotFound,
                    "The user with name " + k.user_name + " cannot be found.");
    }
    auto count = tx.Exec(
        "SELECT COUNT(*) FROM iam_access_keys WHERE account = $1 AND user_key = $2",
        {k.account, user_key});
    if (static_cast<size_t>(Int(count[0][0])) >= max_per_user) {
      return Status(ErrorCode::kLimitExceeded,
                    "Cannot exceed quota for AccessKeysPerUser: " + std::to_string(max_per_user));
    }
    auto r = tx.Exec(
        "INSERT INTO iam_access_keys (id, account, user_key, user_name, sealed, status, "
        "created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1",
        {k.access_key_id, k.account, user_key, k.user_name, Param::Bytes(k.sealed_secret),
         k.status, k.created_ms});
    if (r.empty()) {
      return Status(ErrorCode::kResourceExists, "access key " + k.access_key_id + " exists");
    }
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, k.sealed_secret));
    tx.AddChange({0, 0, k.account, "", kKeyService, k.access_key_id, "CreateAccessKey"});
    return Status::Ok();
  });
}

Result<std::optional<UserAccessKey>> PgIdentityStore::GetUserAccessKey(const std::string& id) {
  std::optional<UserAccessKey> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read access key", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kKeyColumns) + "WHERE id = $1", {id});
    if (!r.empty()) out = DecodeKey(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<UserAccessKey>> PgIdentityStore::ListUserAccessKeys(const std::string& account,
                                                                       const std::string& user) {
  std::vector<UserAccessKey> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list access keys", [&](Tx& tx) {
    out.clear();
    for (const auto& row :
         tx.Exec(std::string(kKeyColumns) +
                     "WHERE account = $1 AND user_key = $2 ORDER BY id LIMIT 100",
                 {account, IamNameKey(user)})) {
      out.push_back(DecodeKey(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgIdentityStore::SetUserAccessKeyStatus(const std::string& account,
                                               const std::string& user, const std::string& id,
                                               const std::string& status) {
  return db_.Write("update access key", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "UPDATE iam_access_keys SET status = $1 WHERE id = $2 AND account = $3 "
        "AND user_key = $4 RETURNING 1",
        {status, id, account, IamNameKey(user)});
    if (r.empty()) return NoSuchKey(id);
    tx.AddChange({0, 0, account, "", kKeyService, id, "UpdateAccessKey"});
    return Status::Ok();
  });
}

Status PgIdentityStore::DeleteUserAccessKey(const std::string& account, const std::string& user,
                                            const std::string& id) {
  return db_.Write("delete access key", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "DELETE FROM iam_access_keys WHERE id = $1 AND account = $2 AND user_key = $3 "
        "RETURNING 1",
        {id, account, IamNameKey(user)});
    if (r.empty()) return NoSuchKey(id);
    tx.AddChange({0, 0, account, "", kKeyService, id, "DeleteAccessKey"});
    return Status::Ok();
  });
}

Status PgIdentityStore::RenameUser(const std::string& account, const std::string& old_name,
                                   const std::vector<UserAccessKey>& rebound,
                                   const std::vector<EntityWrite>& writes) {
  return db_.Write("rename user", [&](Tx& tx) -> Status {
    const std::string old_key = IamNameKey(old_name);
    // The user's row first, as key creation does: a key created concurrently either
    // committed before (and is counted below) or waits and then finds no such user.
    tx.Exec("SELECT 1 FROM iam_entities WHERE account = $1 AND kind = 'user' AND name_key = $2 "
            "FOR UPDATE",
            {account, old_key});
    for (const auto& k : rebound) {
      auto r = tx.Exec(
          "UPDATE iam_access_keys SET user_key = $1, user_name = $2, sealed = $3 "
          "WHERE id = $4 AND account = $5 AND user_key = $6 RETURNING 1",
          {IamNameKey(k.user_name), k.user_name, Param::Bytes(k.sealed_secret), k.access_key_id,
           account, old_key});
      if (r.empty()) return Status(ErrorCode::kWriteConflict, "access key " + k.access_key_id);
      ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, k.sealed_secret));
      tx.AddChange({0, 0, account, "", kKeyService, k.access_key_id, "UpdateUser"});
    }
    if (rebound.empty() || IamNameKey(rebound[0].user_name) != old_key) {
      auto left = tx.Exec(
          "SELECT 1 FROM iam_access_keys WHERE account = $1 AND user_key = $2 LIMIT 1",
          {account, old_key});
      if (!left.empty()) return Status(ErrorCode::kWriteConflict, "access keys of " + old_name);
    }
    for (const auto& w : writes) ARCANA_RETURN_IF_ERROR(WriteOne(tx, w, "UpdateUser"));
    return Status::Ok();
  });
}

Status PgIdentityStore::RecordAccessKeyUses(const std::vector<AccessKeyUse>& uses) {
  if (uses.empty()) return Status::Ok();
  return db_.Write("record access key uses", [&](Tx& tx) -> Status {
    for (const auto& u : uses) {
      tx.Exec(
          "UPDATE iam_access_keys SET last_used_ms = $1, last_used_service = $2, "
          "last_used_region = $3 WHERE id = $4 AND last_used_ms < $1",
          {u.when_ms, u.service, u.region, u.access_key_id});
    }
    return Status::Ok();
  });
}

Status PgIdentityStore::RecordServiceUses(const std::vector<ServiceUse>& uses) {
  if (uses.empty()) return Status::Ok();
  // Every batch locks its rows in one global order (the action rows, then the services'
  // rows, each by key), so two nodes flushing at once wait for each other instead of
  // deadlocking.
  const std::vector<const ServiceUse*> sorted = InKeyOrder(uses);
  return db_.Write("record service uses", [&](Tx& tx) -> Status {
    for (bool service_rows : {false, true}) {
      for (const ServiceUse* u : sorted) {
        if (!service_rows && u->action.empty()) continue;
        tx.Exec(
            "INSERT INTO iam_service_last_access (account, entity_id, service, action, used_ms, "
            "region) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (account, entity_id, service, "
            "action) DO UPDATE SET used_ms = EXCLUDED.used_ms, region = EXCLUDED.region "
            "WHERE iam_service_last_access.used_ms < EXCLUDED.used_ms",
            {u->account, u->entity_id, u->service, service_rows ? std::string() : u->action,
             u->when_ms, u->region});
      }
    }
    return Status::Ok();
  });
}

Result<std::vector<ServiceUse>> PgIdentityStore::ListServiceUses(
    const std::string& account, const std::vector<std::string>& entity_ids) {
  std::vector<ServiceUse> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list service uses", [&](Tx& tx) {
    out.clear();
    for (const auto& id : entity_ids) {
      for (const auto& r : tx.Exec(
               "SELECT service, action, used_ms, region FROM iam_service_last_access "
               "WHERE account = $1 AND entity_id = $2 LIMIT $3",
               {account, id, kMaxListLimit})) {
        out.push_back({account, id, Text(r[0]), Text(r[1]), Int(r[2]), Text(r[3])});
      }
    }
    return Status::Ok();
  }));
  return out;
}

Result<int64_t> PgIdentityStore::ServiceUseTrackingSince() {
  int64_t since = 0;
  ARCANA_RETURN_IF_ERROR(db_.Read("read service access tracking", [&](Tx& tx) -> Status {
    auto r = tx.Exec("SELECT since_ms FROM iam_service_access_tracking WHERE id = 1");
    if (r.empty()) {
      return Status(ErrorCode::kInternalServiceError, "service access tracking row missing");
    }
    since = Int(r[0][0]);
    return Status::Ok();
  }));
  return since;
}

Status PgIdentityStore::PutServiceAccessJob(const ServiceAccessJob& job) {
  return db_.Write("write service access job", [&](Tx& tx) -> Status {
    tx.Exec(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE expires_ms < $1 LIMIT $2)",
        {job.created_ms, static_cast<int64_t>(kJobPurgeBatch)});
    auto r = tx.Exec(
        "INSERT INTO iam_service_access_jobs (id, account, owner, created_ms, expires_ms, "
        "report) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        {job.job_id, job.account, job.owner, job.created_ms, job.expires_ms, job.report});
    if (r.empty()) return Status(ErrorCode::kResourceExists, "job " + job.job_id + " exists");
    // The caps: the owner's jobs, then the account's, beyond the newest kJobsPer*.
    tx.Exec(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE account = $1 AND owner = $2 "
        "ORDER BY created_ms DESC, id DESC OFFSET $3)",
        {job.account, job.owner, static_cast<int64_t>(kJobsPerOwner)});
    tx.Exec(
        "DELETE FROM iam_service_access_jobs WHERE id IN (SELECT id FROM "
        "iam_service_access_jobs WHERE account = $1 "
        "ORDER BY created_ms DESC, id DESC OFFSET $2)",
        {job.account, static_cast<int64_t>(kJobsPerAccount)});
    return Status::Ok();
  });
}

Result<std::optional<ServiceAccessJob>> PgIdentityStore::GetServiceAccessJob(
    const std::string& job_id, int64_t now_ms) {
  std::optional<ServiceAccessJob> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read service access job", [&](Tx& tx) {
    out.reset();
    auto r = tx.Exec(
        "SELECT id, account, owner, created_ms, expires_ms, report FROM "
        "iam_service_access_jobs WHERE id = $1 AND expires_ms >= $2",
        {job_id, now_ms});
    if (!r.empty()) {
      out = ServiceAccessJob{Text(r[0][0]), Text(r[0][1]), Text(r[0][2]),
                             Int(r[0][3]),  Int(r[0][4]),  Text(r[0][5])};
    }
    return Status::Ok();
  }));
  return out;
}

Status PgIdentityStore::PutSession(const StsSession& s) {
  return db_.Write("write session", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "INSERT INTO sts_sessions (id, account, sealed, expires_ms, created_ms, doc) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING 1",
        {s.access_key_id, s.account, Param::Bytes(s.sealed), s.expires_ms, s.created_ms, s.doc});
    if (r.empty()) {
      return Status(ErrorCode::kResourceExists, "session " + s.access_key_id + " exists");
    }
    ARCANA_RETURN_IF_ERROR(CheckSealedUnderStoreRoot(tx, s.sealed));
    tx.AddChange({0, 0, s.account, "", "sts", s.access_key_id, "CreateSession"});
    return Status::Ok();
  });
}

Result<std::optional<StsSession>> PgIdentityStore::GetSession(const std::string& id) {
  std::optional<StsSession> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read session", [&](Tx& tx) {
    auto r = tx.Exec(
        "SELECT id, account, sealed, expires_ms, created_ms, doc FROM sts_sessions "
        "WHERE id = $1",
        {id});
    if (!r.empty()) {
      out = StsSession{Text(r[0][0]), Text(r[0][1]), Bytes(r[0][2]),
                       Int(r[0][3]),  Int(r[0][4]),  Text(r[0][5])};
    }
    return Status::Ok();
  }));
  return out;
}

Result<size_t> PgIdentityStore::DeleteExpiredSessions(int64_t before_ms, size_t limit) {
  size_t deleted = 0;
  ARCANA_RETURN_IF_ERROR(db_.Write("delete expired sessions", [&](Tx& tx) -> Status {
    // Expired sessions are refused by their expiry already: no change row is needed for a
    // cache to drop them.
    auto r = tx.Exec(
        "DELETE FROM sts_sessions WHERE id IN (SELECT id FROM sts_sessions "
        "WHERE expires_ms < $1 LIMIT $2) RETURNING 1",
        {before_ms, std::min(limit, kMaxListLimit)});
    deleted = r.size();
    return Status::Ok();
  }));
  return deleted;
}

Status PgIdentityStore::WipeIdentities() {
  return db_.Write("wipe identities", [&](Tx& tx) -> Status {
    tx.Exec("DELETE FROM iam_entities");
    tx.Exec("DELETE FROM iam_entity_secrets");
    tx.Exec("DELETE FROM iam_access_keys");
    tx.Exec("DELETE FROM sts_sessions");
    tx.Exec("DELETE FROM iam_service_last_access");
    tx.Exec("DELETE FROM iam_service_access_jobs");
    tx.AddChange({0, 0, "", "", "iam", "*", "Reset"});
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
