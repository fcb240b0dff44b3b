#include "storage/postgres/pg_parameter_store.h"

#include <algorithm>
#include <map>
#include <set>

#include "domain/ssm/names.h"
#include "storage/parameter_codec.h"
#include "storage/postgres/pg_meta_store.h"
#include "storage/service_setting_codec.h"

namespace arcana::storage::pg {

namespace {

constexpr const char* kService = "ssm";

const char* const kSsmV1 = R"sql(
CREATE TABLE ssm_parameters (
  account    TEXT COLLATE "C" NOT NULL,
  region     TEXT COLLATE "C" NOT NULL,
  key        TEXT COLLATE "C" NOT NULL,
  name       TEXT COLLATE "C" NOT NULL,
  revision   BIGINT NOT NULL,
  tier       TEXT COLLATE "C" NOT NULL,
  expires_ms BIGINT,
  meta       TEXT NOT NULL,
  PRIMARY KEY (account, region, key)
);
CREATE INDEX ssm_parameters_by_expiry ON ssm_parameters (expires_ms)
  WHERE expires_ms IS NOT NULL;
CREATE TABLE ssm_values (
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  key     TEXT COLLATE "C" NOT NULL,
  version BIGINT NOT NULL,
  value   BYTEA NOT NULL,
  PRIMARY KEY (account, region, key, version)
);
CREATE TABLE ssm_counts (
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  tier    TEXT COLLATE "C" NOT NULL,
  n       BIGINT NOT NULL,
  PRIMARY KEY (account, region, tier)
);
)sql";

// Parameters' resource policies (PutResourcePolicy), in their own rows so a policy write does
// not rewrite the metadata; seq keeps them in the order they were added.
const char* const kSsmV2 = R"sql(
CREATE TABLE ssm_resource_policies (
  account     TEXT COLLATE "C" NOT NULL,
  region      TEXT COLLATE "C" NOT NULL,
  key         TEXT COLLATE "C" NOT NULL,
  policy_id   TEXT COLLATE "C" NOT NULL,
  seq         BIGINT NOT NULL,
  policy_hash TEXT NOT NULL,
  policy      TEXT NOT NULL,
  PRIMARY KEY (account, region, key, policy_id)
);
)sql";

// Counted tiers: "Advanced" or "Standard" (anything else counts as Standard, as in SQLite).
std::string CountedTier(const std::string& tier) {
  return tier == domain::ssm::kAdvanced ? domain::ssm::kAdvanced : domain::ssm::kStandard;
}

// Applies counter deltas by tier, in tier order: writers lock counter rows in one order, so
// they never deadlock on them.
void Count(Tx& tx, const std::string& account, const std::string& region,
           const std::map<std::string, int64_t>& deltas) {
  for (const auto& [tier, delta] : deltas) {
    if (delta == 0) continue;
    tx.Exec(
        "INSERT INTO ssm_counts (account, region, tier, n) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (account, region, tier) DO UPDATE SET n = ssm_counts.n + excluded.n",
        {account, region, tier, delta});
  }
}

Result<domain::ssm::Parameter> Decode(const pqxx::row& row) {  // (revision, meta)
  ARCANA_ASSIGN_OR_RETURN(auto p, DecodeParameterMetadata(Text(row[1])));
  p.revision = Int(row[0]);
  return p;
}

Status Conflict(const std::string& key) {
  return Status(ErrorCode::kWriteConflict,
                "parameter " + key + " was changed by another writer since it was read");
}

void DeleteValues(Tx& tx, const Scope& scope, const std::string& key) {
  tx.Exec("DELETE FROM ssm_values WHERE account = $1 AND region = $2 AND key = $3",
          {scope.account, scope.region, key});
}

}  // namespace

Migrations PgParameterStore::Schema() { return {"ssm", {kSsmV1, kSsmV2}}; }

Result<std::optional<domain::ssm::Parameter>> PgParameterStore::GetParameter(
    const Scope& scope, const std::string& key) {
  std::optional<domain::ssm::Parameter> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("get parameter", [&](Tx& tx) -> Status {
    auto r = tx.Exec(
        "SELECT revision, meta FROM ssm_parameters "
        "WHERE account = $1 AND region = $2 AND key = $3",
        {scope.account, scope.region, key});
    if (r.empty()) return Status::Ok();
    ARCANA_ASSIGN_OR_RETURN(auto p, Decode(r[0]));
    for (const auto& row : tx.Exec(
             "SELECT policy_id, policy_hash, policy FROM ssm_resource_policies "
             "WHERE account = $1 AND region = $2 AND key = $3 ORDER BY seq",
             {scope.account, scope.region, key})) {
      p.resource_policies.push_back({Text(row[0]), Text(row[1]), Text(row[2])});
    }
    out = std::move(p);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<domain::ssm::Parameter>> PgParameterStore::ListParameters(
    const Scope& scope, const std::string& key_prefix, const std::string& after_key,
    size_t limit) {
  // A range scan of the primary key: from max(prefix, after_key) up to the first key past
  // the prefix. Names are ASCII; when the prefix's last byte cannot be incremented within
  // ASCII, the scan has no upper bound and stops at the first key outside the prefix.
  Params params{scope.account, scope.region};
  std::string sql = "SELECT revision, meta, key FROM ssm_parameters WHERE account = $1 AND region = $2";
  if (!after_key.empty() && after_key >= key_prefix) {
    params.emplace_back(after_key);
    sql += " AND key > $3";
  } else {
    params.emplace_back(key_prefix);
    sql += " AND key >= $3";
  }
  if (!key_prefix.empty() && static_cast<unsigned char>(key_prefix.back()) < 0x7e) {
    std::string upper = key_prefix;
    upper.back() = static_cast<char>(upper.back() + 1);
    params.emplace_back(std::move(upper));
    sql += " AND key < $4";
  }
  params.emplace_back(std::min(limit, kMaxListLimit));
  sql += " ORDER BY key LIMIT $" + std::to_string(params.size());

  std::vector<domain::ssm::Parameter> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list parameters", [&](Tx& tx) -> Status {
    for (const auto& row : tx.Exec(sql, params)) {
      if (Text(row[2]).compare(0, key_prefix.size(), key_prefix) != 0) break;
      ARCANA_ASSIGN_OR_RETURN(auto p, Decode(row));
      out.push_back(std::move(p));
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<std::string>> PgParameterStore::GetParameterValue(const Scope& scope,
                                                                       const std::string& key,
                                                                       int64_t version) {
  std::optional<std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read parameter value", [&](Tx& tx) {
    auto r = tx.Exec(
        "SELECT value FROM ssm_values "
        "WHERE account = $1 AND region = $2 AND key = $3 AND version = $4",
        {scope.account, scope.region, key, version});
    if (!r.empty()) out = Bytes(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::map<int64_t, std::string>> PgParameterStore::GetParameterValues(
    const Scope& scope, const std::string& key) {
  std::map<int64_t, std::string> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read parameter values", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT version, value FROM ssm_values "
             "WHERE account = $1 AND region = $2 AND key = $3",
             {scope.account, scope.region, key})) {
      out.emplace(Int(row[0]), Bytes(row[1]));
    }
    return Status::Ok();
  }));
  return out;
}

Result<ParameterCounts> PgParameterStore::CountParameters(const Scope& scope) {
  ParameterCounts out;
  ARCANA_RETURN_IF_ERROR(db_.Read("count parameters", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("SELECT tier, n FROM ssm_counts WHERE account = $1 AND region = $2",
                 {scope.account, scope.region})) {
      (Text(row[0]) == domain::ssm::kAdvanced ? out.advanced : out.standard) += Int(row[1]);
    }
    return Status::Ok();
  }));
  return out;
}

Status PgParameterStore::CommitParameter(const ParameterWrite& w) {
  const auto& p = w.parameter;
  if (p.versions.empty()) {
    return Status(ErrorCode::kInternalServiceError, "parameter " + p.key + " has no version");
  }
  const std::string tier = CountedTier(p.Latest().tier);
  const std::string meta = EncodeParameterMetadata(p);
  return db_.Write("commit parameter", [&](Tx& tx) -> Status {
    if (p.revision == 0) {
      auto r = tx.Exec(
          "INSERT INTO ssm_parameters (account, region, key, name, revision, tier, expires_ms, "
          "meta) VALUES ($1, $2, $3, $4, 1, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING 1",
          {p.account, p.region, p.key, p.name, tier, p.ExpiresMs(), meta});
      if (r.empty()) return Conflict(p.key);
      // The increment locks the tier's counter row until commit and answers the count after
      // every create committed before it (ON CONFLICT DO UPDATE acts on the latest row, not
      // this statement's snapshot): creates of the scope's tier take turns past this point, so
      // two nodes cannot both take the last place (parameter_store.h).
      auto n = tx.Exec(
          "INSERT INTO ssm_counts (account, region, tier, n) VALUES ($1, $2, $3, 1) "
          "ON CONFLICT (account, region, tier) DO UPDATE SET n = ssm_counts.n + 1 RETURNING n",
          {p.account, p.region, tier});
      if (w.create_quota && Int(n[0][0]) > *w.create_quota) {
        return Status(ErrorCode::kParameterLimitExceeded,
                      "the scope holds its quota of " + tier + " parameters");  // rolled back
      }
    } else {
      // Lock the row at the revision read (a concurrent commit makes it vanish from the
      // re-check), so the tier it had is the one the counters hold.
      auto old = tx.Exec(
          "SELECT tier FROM ssm_parameters WHERE account = $1 AND region = $2 AND key = $3 "
          "AND revision = $4 FOR UPDATE",
          {p.account, p.region, p.key, p.revision});
      if (old.empty()) return Conflict(p.key);
      tx.Exec(
          "UPDATE ssm_parameters SET name = $4, tier = $5, expires_ms = $6, meta = $7, "
          "revision = revision + 1 WHERE account = $1 AND region = $2 AND key = $3",
          {p.account, p.region, p.key, p.name, tier, p.ExpiresMs(), meta});
      const std::string old_tier = Text(old[0][0]);
      if (old_tier != tier) Count(tx, p.account, p.region, {{old_tier, -1}, {tier, 1}});
    }
    for (int64_t v : w.removed_versions) {
      tx.Exec(
          "DELETE FROM ssm_values WHERE account = $1 AND region = $2 AND key = $3 "
          "AND version = $4",
          {p.account, p.region, p.key, v});
    }
    for (const auto& v : w.new_values) {
      tx.Exec(
          "INSERT INTO ssm_values (account, region, key, version, value) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, key, version) "
          "DO UPDATE SET value = excluded.value",
          {p.account, p.region, p.key, v.version, Param::Bytes(v.value)});
    }
    tx.AddChange({0, 0, p.account, p.region, kService,
                  domain::ssm::ParameterArn(p.region, p.account, p.name), w.change});
    return Status::Ok();
  });
}

Status PgParameterStore::CommitResourcePolicy(const ResourcePolicyWrite& w) {
  const Scope& sc = w.scope;
  return db_.Write("commit resource policy", [&](Tx& tx) -> Status {
    auto bumped = tx.Exec(
        "UPDATE ssm_parameters SET revision = revision + 1 "
        "WHERE account = $1 AND region = $2 AND key = $3 AND revision = $4 RETURNING name",
        {sc.account, sc.region, w.key, w.expected_revision});
    if (bumped.empty()) return Conflict(w.key);
    if (w.put) {
      tx.Exec(
          "INSERT INTO ssm_resource_policies "
          "(account, region, key, policy_id, seq, policy_hash, policy) VALUES ($1, $2, $3, $4, "
          "(SELECT COALESCE(MAX(seq), 0) + 1 FROM ssm_resource_policies "
          " WHERE account = $1 AND region = $2 AND key = $3), $5, $6) "
          "ON CONFLICT (account, region, key, policy_id) DO UPDATE SET "
          "policy_hash = excluded.policy_hash, policy = excluded.policy",
          {sc.account, sc.region, w.key, w.put->id, w.put->hash, w.put->policy});
    }
    if (!w.remove_id.empty()) {
      tx.Exec(
          "DELETE FROM ssm_resource_policies "
          "WHERE account = $1 AND region = $2 AND key = $3 AND policy_id = $4",
          {sc.account, sc.region, w.key, w.remove_id});
    }
    tx.AddChange({0, 0, sc.account, sc.region, kService,
                  domain::ssm::ParameterArn(sc.region, sc.account, Text(bumped[0][0])),
                  w.change});
    return Status::Ok();
  });
}

Result<std::vector<std::string>> PgParameterStore::DeleteParameters(
    const Scope& scope, const std::vector<ParameterDelete>& deletes, const std::string& change) {
  // Rows are deleted in key order (concurrent batches lock them in one order); the keys
  // deleted are returned in the order given.
  std::vector<const ParameterDelete*> sorted;
  for (const auto& d : deletes) sorted.push_back(&d);
  std::sort(sorted.begin(), sorted.end(),
            [](const ParameterDelete* a, const ParameterDelete* b) { return a->key < b->key; });
  std::set<std::string> gone;
  ARCANA_RETURN_IF_ERROR(db_.Write("delete parameters", [&](Tx& tx) {
    gone.clear();  // a retried run starts over
    std::map<std::string, int64_t> counts;
    for (const ParameterDelete* dp : sorted) {
      const ParameterDelete& d = *dp;
      auto r = d.expected_revision == 0
                   ? tx.Exec(
                         "DELETE FROM ssm_parameters WHERE account = $1 AND region = $2 "
                         "AND key = $3 RETURNING tier, name",
                         {scope.account, scope.region, d.key})
                   : tx.Exec(
                         "DELETE FROM ssm_parameters WHERE account = $1 AND region = $2 "
                         "AND key = $3 AND revision = $4 RETURNING tier, name",
                         {scope.account, scope.region, d.key, d.expected_revision});
      if (r.empty()) continue;
      DeleteValues(tx, scope, d.key);
      // Its policies go with it: a parameter created later under the name is not shared.
      tx.Exec(
          "DELETE FROM ssm_resource_policies WHERE account = $1 AND region = $2 AND key = $3",
          {scope.account, scope.region, d.key});
      --counts[Text(r[0][0])];
      tx.AddChange({0, 0, scope.account, scope.region, kService,
                    domain::ssm::ParameterArn(scope.region, scope.account, Text(r[0][1])),
                    change});
      gone.insert(d.key);
    }
    Count(tx, scope.account, scope.region, counts);
    return Status::Ok();
  }));
  std::vector<std::string> deleted;
  for (const auto& d : deletes) {
    if (gone.erase(d.key)) deleted.push_back(d.key);
  }
  return deleted;
}

Result<std::vector<ParameterRef>> PgParameterStore::ListParametersExpiredBefore(int64_t now_ms,
                                                                                size_t limit) {
  std::vector<ParameterRef> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list expired parameters", [&](Tx& tx) {
    for (const auto& row : tx.Exec(
             "SELECT account, region, key FROM ssm_parameters "
             "WHERE expires_ms IS NOT NULL AND expires_ms <= $1 "
             "ORDER BY expires_ms, account, region, key LIMIT $2",
             {now_ms, std::min(limit, kMaxListLimit)})) {
      out.push_back({{Text(row[0]), Text(row[1])}, Text(row[2])});
    }
    return Status::Ok();
  }));
  return out;
}

Result<std::optional<domain::ssm::ServiceSettingState>> PgParameterStore::GetServiceSetting(
    const Scope& scope, const std::string& setting_id) {
  std::optional<std::string> stored;
  ARCANA_RETURN_IF_ERROR(db_.Read("read service setting", [&](Tx& tx) {
    auto r = tx.Exec("SELECT value FROM meta WHERE key = $1",
                     {ServiceSettingMetaKey(scope, setting_id)});
    if (!r.empty()) stored = Bytes(r[0][0]);
    return Status::Ok();
  }));
  if (!stored) return std::optional<domain::ssm::ServiceSettingState>();
  ARCANA_ASSIGN_OR_RETURN(auto state, DecodeServiceSetting(*stored));
  return std::optional<domain::ssm::ServiceSettingState>(std::move(state));
}

Status PgParameterStore::PutServiceSetting(const Scope& scope,
                                           const domain::ssm::ServiceSettingState& state) {
  return db_.Write("write service setting", [&](Tx& tx) {
    PutMetaIn(tx, ServiceSettingMetaKey(scope, state.id), EncodeServiceSetting(state));
    return Status::Ok();
  });
}

Status PgParameterStore::WipeParameters() {
  return db_.Write("wipe parameters", [&](Tx& tx) {
    tx.Exec("DELETE FROM ssm_values");
    tx.Exec("DELETE FROM ssm_counts");
    tx.Exec("DELETE FROM ssm_resource_policies");
    tx.Exec("DELETE FROM meta WHERE key >= $1 AND key < $2",
            {std::string(kServiceSettingMetaPrefix), std::string(kServiceSettingMetaEnd)});
    for (const auto& row : tx.Exec("DELETE FROM ssm_parameters RETURNING account, region, name")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService,
                    domain::ssm::ParameterArn(Text(row[1]), Text(row[0]), Text(row[2])),
                    "WipeParameters"});
    }
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
