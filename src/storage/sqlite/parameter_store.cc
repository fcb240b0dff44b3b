#include "storage/sqlite/parameter_store.h"

#include <algorithm>

#include "domain/ssm/names.h"
#include "storage/parameter_codec.h"
#include "storage/service_setting_codec.h"

namespace arcana::storage::sqlite {

namespace {

const char* const kSsmMigrations[] = {
    // 1: parameters and their version values.
    R"sql(
    CREATE TABLE ssm_parameters (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      key        TEXT NOT NULL,
      tier       TEXT NOT NULL,
      expires_ms INTEGER,
      meta       TEXT NOT NULL,
      PRIMARY KEY (account, region, key)
    ) WITHOUT ROWID;
    CREATE INDEX ssm_parameters_by_expiry ON ssm_parameters(expires_ms)
      WHERE expires_ms IS NOT NULL;
    CREATE TABLE ssm_values (
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      key        TEXT NOT NULL,
      version    INTEGER NOT NULL,
      value      BLOB NOT NULL,
      PRIMARY KEY (account, region, key, version)
    ) WITHOUT ROWID;
    )sql",
    // 2: optimistic concurrency (revision) and O(1) counts per scope and tier.
    R"sql(
    ALTER TABLE ssm_parameters ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
    CREATE TABLE ssm_counts (
      account TEXT NOT NULL,
      region  TEXT NOT NULL,
      tier    TEXT NOT NULL,
      n       INTEGER NOT NULL,
      PRIMARY KEY (account, region, tier)
    ) WITHOUT ROWID;
    INSERT INTO ssm_counts (account, region, tier, n)
      SELECT account, region, tier, COUNT(*) FROM ssm_parameters GROUP BY account, region, tier;
    )sql",
    // 3: parameters' resource policies (PutResourcePolicy), in their own rows so a policy
    // write does not rewrite the metadata; seq keeps them in the order they were added.
    R"sql(
    CREATE TABLE ssm_resource_policies (
      account     TEXT NOT NULL,
      region      TEXT NOT NULL,
      key         TEXT NOT NULL,
      policy_id   TEXT NOT NULL,
      seq         INTEGER NOT NULL,
      policy_hash TEXT NOT NULL,
      policy      TEXT NOT NULL,
      PRIMARY KEY (account, region, key, policy_id)
    ) WITHOUT ROWID;
    )sql",
};

constexpr const char* kService = "ssm";

Result<domain::ssm::Parameter> Decode(sqlite3_stmt* st) {
  ARCANA_ASSIGN_OR_RETURN(auto p, DecodeParameterMetadata(ColText(st, 0)));
  p.revision = sqlite3_column_int64(st, 1);
  return p;
}

Status AddToCount(Conn& c, const std::string& account, const std::string& region,
                  const std::string& tier, int64_t delta) {
  sqlite3_stmt* st = c.Prepare(
      "INSERT INTO ssm_counts (account, region, tier, n) VALUES (?,?,?,?) "
      "ON CONFLICT(account, region, tier) DO UPDATE SET n = n + excluded.n");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, region);
  BindText(st, 3, tier);
  sqlite3_bind_int64(st, 4, delta);
  return Step(c, st, "count parameters");
}

// The scope's parameters per tier (any tier but Advanced counts as Standard).
Result<ParameterCounts> ReadCounts(Conn& c, const std::string& account,
                                   const std::string& region) {
  sqlite3_stmt* st = c.Prepare("SELECT tier, n FROM ssm_counts WHERE account = ? AND region = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, region);
  ParameterCounts out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    (ColText(st, 0) == domain::ssm::kAdvanced ? out.advanced : out.standard) +=
        sqlite3_column_int64(st, 1);
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "count parameters");
  return out;
}

struct Stored {
  int64_t revision = 0;
  std::string tier;
};

// The stored revision and tier of a parameter, if any.
Result<std::optional<Stored>> ReadStored(Conn& c, const std::string& account,
                                         const std::string& region, const std::string& key) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT revision, tier FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, account);
  BindText(st, 2, region);
  BindText(st, 3, key);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<Stored>();
  if (rc != SQLITE_ROW) return DbError(c.db(), "read parameter");
  Stored s{sqlite3_column_int64(st, 0), ColText(st, 1)};
  sqlite3_reset(st);
  return std::optional<Stored>(std::move(s));
}

// The parameter's resource policies, oldest first, into p->resource_policies.
Status LoadResourcePolicies(Conn& c, const Scope& scope, const std::string& key,
                            domain::ssm::Parameter* p) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT policy_id, policy_hash, policy FROM ssm_resource_policies "
      "WHERE account = ? AND region = ? AND key = ? ORDER BY seq");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    p->resource_policies.push_back({ColText(st, 0), ColText(st, 1), ColText(st, 2)});
  }
  if (rc != SQLITE_DONE) return DbError(c.db(), "read resource policies");
  return Status::Ok();
}

Status DeleteResourcePolicies(Conn& c, const Scope& scope, const std::string& key) {
  sqlite3_stmt* st = c.Prepare(
      "DELETE FROM ssm_resource_policies WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  return Step(c, st, "delete resource policies");
}

}  // namespace

Migrations SqliteParameterStore::Schema() {
  return {"ssm", kSsmMigrations, std::size(kSsmMigrations)};
}

Result<std::optional<domain::ssm::Parameter>> SqliteParameterStore::GetParameter(
    const Scope& scope, const std::string& key) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT meta, revision FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<domain::ssm::Parameter>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read parameter");
  auto p = Decode(st);
  sqlite3_reset(st);
  if (!p.ok()) return p.status();
  ARCANA_RETURN_IF_ERROR(LoadResourcePolicies(*c, scope, key, &p.value()));
  return std::optional<domain::ssm::Parameter>(std::move(p).value());
}

Result<std::vector<domain::ssm::Parameter>> SqliteParameterStore::ListParameters(
    const Scope& scope, const std::string& key_prefix, const std::string& after_key,
    size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  // Names are ASCII, so every key starting with the prefix sorts in [prefix, prefix + 0xFF):
  // one range of the primary key, entered at max(prefix, after_key). The lower bound must be a
  // single term: given both `key >= prefix` and `key > after_key`, SQLite seeks to the prefix
  // and filters every row up to after_key, which makes page N cost O(N).
  const bool after = !after_key.empty() && after_key >= key_prefix;
  sqlite3_stmt* st =
      after ? c->Prepare("SELECT meta, revision FROM ssm_parameters WHERE account = ?1 AND "
                         "region = ?2 AND key > ?3 AND key < ?4 ORDER BY key LIMIT ?5")
            : c->Prepare("SELECT meta, revision FROM ssm_parameters WHERE account = ?1 AND "
                         "region = ?2 AND key >= ?3 AND key < ?4 ORDER BY key LIMIT ?5");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, after ? after_key : key_prefix);
  BindText(st, 4, key_prefix + "\xff");
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<domain::ssm::Parameter> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    auto p = Decode(st);
    if (!p.ok()) {
      sqlite3_reset(st);
      return p.status();
    }
    out.push_back(std::move(p).value());
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list parameters");
  return out;
}

Result<std::optional<std::string>> SqliteParameterStore::GetParameterValue(const Scope& scope,
                                                                           const std::string& key,
                                                                           int64_t version) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT value FROM ssm_values WHERE account = ? AND region = ? AND key = ? AND version = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  sqlite3_bind_int64(st, 4, version);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read parameter value");
  std::string v = ColText(st, 0);
  sqlite3_reset(st);
  return std::optional<std::string>(std::move(v));
}

Result<std::map<int64_t, std::string>> SqliteParameterStore::GetParameterValues(
    const Scope& scope, const std::string& key) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT version, value FROM ssm_values WHERE account = ? AND region = ? AND key = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
  BindText(st, 3, key);
  std::map<int64_t, std::string> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.emplace(sqlite3_column_int64(st, 0), ColText(st, 1));
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "read parameter values");
  return out;
}

Result<ParameterCounts> SqliteParameterStore::CountParameters(const Scope& scope) {
  ARCANA_LEASE(c, db_.pool());
  return ReadCounts(*c, scope.account, scope.region);
}

Status SqliteParameterStore::CommitParameter(const ParameterWrite& w) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    const auto& p = w.parameter;
    if (p.versions.empty()) {
      return Status(ErrorCode::kInternalServiceError, "a stored parameter has a version");
    }
    const std::string& tier = p.Latest().tier;
    ARCANA_ASSIGN_OR_RETURN(auto stored, ReadStored(c, p.account, p.region, p.key));
    if (p.revision == 0 ? stored.has_value() : (!stored || stored->revision != p.revision)) {
      return Conflict("parameter " + p.name);
    }
    if (!stored && w.create_quota) {
      // SQLite has one writer: the count read here stays true until this write commits, so
      // concurrent creates take the tier's last places one at a time (parameter_store.h).
      ARCANA_ASSIGN_OR_RETURN(auto counts, ReadCounts(c, p.account, p.region));
      const bool advanced = tier == domain::ssm::kAdvanced;
      if ((advanced ? counts.advanced : counts.standard) >= *w.create_quota) {
        return Status(ErrorCode::kParameterLimitExceeded,
                      std::string("the scope holds its quota of ") +
                          (advanced ? "Advanced" : "Standard") + " parameters");
      }
    }
    sqlite3_stmt* st =
        p.revision == 0
            ? c.Prepare(
                  "INSERT INTO ssm_parameters (tier, expires_ms, meta, account, region, key, "
                  "revision) VALUES (?,?,?,?,?,?,1)")
            : c.Prepare(
                  "UPDATE ssm_parameters SET tier = ?, expires_ms = ?, meta = ?, "
                  "revision = revision + 1 WHERE account = ? AND region = ? AND key = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, tier);
    BindOptInt(st, 2, p.ExpiresMs());
    BindText(st, 3, EncodeParameterMetadata(p));
    BindText(st, 4, p.account);
    BindText(st, 5, p.region);
    BindText(st, 6, p.key);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write parameter"));
    if (!stored) {
      ARCANA_RETURN_IF_ERROR(AddToCount(c, p.account, p.region, tier, 1));
    } else if (stored->tier != tier) {
      ARCANA_RETURN_IF_ERROR(AddToCount(c, p.account, p.region, stored->tier, -1));
      ARCANA_RETURN_IF_ERROR(AddToCount(c, p.account, p.region, tier, 1));
    }
    for (int64_t v : w.removed_versions) {
      sqlite3_stmt* d = c.Prepare(
          "DELETE FROM ssm_values WHERE account = ? AND region = ? AND key = ? AND version = ?");
      if (!d) return DbError(c.db(), "prepare");
      BindText(d, 1, p.account);
      BindText(d, 2, p.region);
      BindText(d, 3, p.key);
      sqlite3_bind_int64(d, 4, v);
      ARCANA_RETURN_IF_ERROR(Step(c, d, "prune parameter version"));
    }
    for (const auto& v : w.new_values) {
      sqlite3_stmt* ins = c.Prepare(
          "INSERT OR REPLACE INTO ssm_values (account, region, key, version, value) "
          "VALUES (?,?,?,?,?)");
      if (!ins) return DbError(c.db(), "prepare");
      BindText(ins, 1, p.account);
      BindText(ins, 2, p.region);
      BindText(ins, 3, p.key);
      sqlite3_bind_int64(ins, 4, v.version);
      BindBlob(ins, 5, v.value);
      ARCANA_RETURN_IF_ERROR(Step(c, ins, "write parameter value"));
    }
    return txn.AddChange(p.account, p.region, kService,
                         domain::ssm::ParameterArn(p.region, p.account, p.key),
                         w.change.empty() ? std::string("PutParameter") : w.change);
  });
}

Status SqliteParameterStore::CommitResourcePolicy(const ResourcePolicyWrite& w) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    const Scope& sc = w.scope;
    sqlite3_stmt* bump = c.Prepare(
        "UPDATE ssm_parameters SET revision = revision + 1 "
        "WHERE account = ? AND region = ? AND key = ? AND revision = ?");
    if (!bump) return DbError(c.db(), "prepare");
    BindText(bump, 1, sc.account);
    BindText(bump, 2, sc.region);
    BindText(bump, 3, w.key);
    sqlite3_bind_int64(bump, 4, w.expected_revision);
    ARCANA_RETURN_IF_ERROR(Step(c, bump, "bump parameter revision"));
    if (sqlite3_changes(c.db()) == 0) return Conflict("parameter " + w.key);
    if (w.put) {
      sqlite3_stmt* put = c.Prepare(
          "INSERT INTO ssm_resource_policies "
          "(account, region, key, policy_id, seq, policy_hash, policy) VALUES (?1, ?2, ?3, ?4, "
          "(SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_resource_policies "
          " WHERE account = ?1 AND region = ?2 AND key = ?3), ?5, ?6) "
          "ON CONFLICT(account, region, key, policy_id) DO UPDATE SET "
          "policy_hash = excluded.policy_hash, policy = excluded.policy");
      if (!put) return DbError(c.db(), "prepare");
      BindText(put, 1, sc.account);
      BindText(put, 2, sc.region);
      BindText(put, 3, w.key);
      BindText(put, 4, w.put->id);
      BindText(put, 5, w.put->hash);
      BindText(put, 6, w.put->policy);
      ARCANA_RETURN_IF_ERROR(Step(c, put, "write resource policy"));
    }
    if (!w.remove_id.empty()) {
      sqlite3_stmt* del = c.Prepare(
          "DELETE FROM ssm_resource_policies "
          "WHERE account = ? AND region = ? AND key = ? AND policy_id = ?");
      if (!del) return DbError(c.db(), "prepare");
      BindText(del, 1, sc.account);
      BindText(del, 2, sc.region);
      BindText(del, 3, w.key);
      BindText(del, 4, w.remove_id);
      ARCANA_RETURN_IF_ERROR(Step(c, del, "delete resource policy"));
    }
    return txn.AddChange(sc.account, sc.region, kService,
                         domain::ssm::ParameterArn(sc.region, sc.account, w.key), w.change);
  });
}

Result<std::vector<std::string>> SqliteParameterStore::DeleteParameters(
    const Scope& scope, const std::vector<ParameterDelete>& deletes, const std::string& change) {
  std::vector<std::string> deleted;
  ARCANA_RETURN_IF_ERROR(db_.Write([&](WriteTxn& txn) -> Status {
    deleted.clear();
    Conn& c = txn.conn();
    for (const auto& d : deletes) {
      ARCANA_ASSIGN_OR_RETURN(auto stored, ReadStored(c, scope.account, scope.region, d.key));
      if (!stored) continue;
      if (d.expected_revision != 0 && d.expected_revision != stored->revision) continue;
      for (const char* sql :
           {"DELETE FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?",
            "DELETE FROM ssm_values WHERE account = ? AND region = ? AND key = ?"}) {
        sqlite3_stmt* st = c.Prepare(sql);
        if (!st) return DbError(c.db(), "prepare");
        BindText(st, 1, scope.account);
        BindText(st, 2, scope.region);
        BindText(st, 3, d.key);
        ARCANA_RETURN_IF_ERROR(Step(c, st, "delete parameter"));
      }
      // Its policies go with it: a parameter created later under the name is not shared.
      ARCANA_RETURN_IF_ERROR(DeleteResourcePolicies(c, scope, d.key));
      ARCANA_RETURN_IF_ERROR(AddToCount(c, scope.account, scope.region, stored->tier, -1));
      ARCANA_RETURN_IF_ERROR(txn.AddChange(
          scope.account, scope.region, kService,
          domain::ssm::ParameterArn(scope.region, scope.account, d.key),
          change.empty() ? std::string("DeleteParameters") : change));
      deleted.push_back(d.key);
    }
    return Status::Ok();
  }));
  return deleted;
}

Result<std::vector<ParameterRef>> SqliteParameterStore::ListParametersExpiredBefore(
    int64_t now_ms, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT account, region, key FROM ssm_parameters "
      "WHERE expires_ms IS NOT NULL AND expires_ms <= ? ORDER BY expires_ms LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  sqlite3_bind_int64(st, 1, now_ms);
  sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<ParameterRef> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    out.push_back({{ColText(st, 0), ColText(st, 1)}, ColText(st, 2)});
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list expired parameters");
  return out;
}

Result<std::optional<domain::ssm::ServiceSettingState>> SqliteParameterStore::GetServiceSetting(
    const Scope& scope, const std::string& setting_id) {
  std::optional<std::string> stored;
  {
    ARCANA_LEASE(c, db_.pool());
    sqlite3_stmt* st = c->Prepare("SELECT value FROM meta WHERE key = ?");
    if (!st) return DbError(c->db(), "prepare");
    BindText(st, 1, ServiceSettingMetaKey(scope, setting_id));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      stored = ColText(st, 0);
    } else if (rc != SQLITE_DONE) {
      return DbError(c->db(), "read service setting");
    }
    sqlite3_reset(st);
  }
  if (!stored) return std::optional<domain::ssm::ServiceSettingState>();
  ARCANA_ASSIGN_OR_RETURN(auto state, DecodeServiceSetting(*stored));
  return std::optional<domain::ssm::ServiceSettingState>(std::move(state));
}

Status SqliteParameterStore::PutServiceSetting(const Scope& scope,
                                               const domain::ssm::ServiceSettingState& state) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, ServiceSettingMetaKey(scope, state.id));
    BindBlob(st, 2, EncodeServiceSetting(state));
    return Step(c, st, "write service setting");
  });
}

Status SqliteParameterStore::WipeParameters() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* st = c.Prepare("SELECT account, region, key FROM ssm_parameters");
    if (!st) return DbError(c.db(), "prepare");
    std::vector<ParameterRef> all;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      all.push_back({{ColText(st, 0), ColText(st, 1)}, ColText(st, 2)});
    }
    if (rc != SQLITE_DONE) return DbError(c.db(), "list parameters");
    for (const auto& r : all) {
      ARCANA_RETURN_IF_ERROR(
          txn.AddChange(r.scope.account, r.scope.region, kService,
                        domain::ssm::ParameterArn(r.scope.region, r.scope.account, r.key),
                        "WipeResources"));
    }
    ARCANA_RETURN_IF_ERROR(
        c.Exec("DELETE FROM ssm_values; DELETE FROM ssm_parameters; DELETE FROM ssm_counts; "
               "DELETE FROM ssm_resource_policies;"));
    sqlite3_stmt* settings = c.Prepare("DELETE FROM meta WHERE key >= ? AND key < ?");
    if (!settings) return DbError(c.db(), "prepare");
    BindText(settings, 1, kServiceSettingMetaPrefix);
    BindText(settings, 2, kServiceSettingMetaEnd);
    return Step(c, settings, "wipe service settings");
  });
}

}  // namespace arcana::storage::sqlite
