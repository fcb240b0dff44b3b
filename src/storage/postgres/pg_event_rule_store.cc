#include "storage/postgres/pg_event_rule_store.h"

#include <algorithm>

namespace arcana::storage::pg {

namespace {

constexpr const char* kService = "events";

const char* const kEventsV1 = R"sql(
CREATE TABLE event_rules (
  account     TEXT COLLATE "C" NOT NULL,
  region      TEXT COLLATE "C" NOT NULL,
  name        TEXT COLLATE "C" NOT NULL,
  arn         TEXT NOT NULL,
  pattern     TEXT NOT NULL,
  state       TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ms  BIGINT NOT NULL,
  PRIMARY KEY (account, region, name)
);
CREATE TABLE event_targets (
  account  TEXT COLLATE "C" NOT NULL,
  region   TEXT COLLATE "C" NOT NULL,
  rule     TEXT COLLATE "C" NOT NULL,
  id       TEXT COLLATE "C" NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (account, region, rule, id)
);
)sql";

// The tags of a rule (TagResource, PutRule's Tags), deleted with it.
const char* const kEventsV2 = R"sql(
CREATE TABLE event_rule_tags (
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  rule    TEXT COLLATE "C" NOT NULL,
  key     TEXT COLLATE "C" NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (account, region, rule, key)
);
)sql";

// The tags of an event bus (TagResource on event-bus/<name>), by the bus's name.
const char* const kEventsV3 = R"sql(
CREATE TABLE event_bus_tags (
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  bus     TEXT COLLATE "C" NOT NULL,
  key     TEXT COLLATE "C" NOT NULL,
  value   TEXT NOT NULL,
  PRIMARY KEY (account, region, bus, key)
);
)sql";

// Custom event buses (CreateEventBus); the default bus of a scope is no row. Their rules are
// event_rules rows keyed "<bus>/<rule>".
const char* const kEventsV4 = R"sql(
CREATE TABLE event_buses (
  account     TEXT COLLATE "C" NOT NULL,
  region      TEXT COLLATE "C" NOT NULL,
  name        TEXT COLLATE "C" NOT NULL,
  arn         TEXT NOT NULL,
  description TEXT NOT NULL,
  created_ms  BIGINT NOT NULL,
  modified_ms BIGINT NOT NULL,
  PRIMARY KEY (account, region, name)
);
)sql";

// The resource-based policy of a bus (PutPermission), the default bus's too.
const char* const kEventsV5 = R"sql(
CREATE TABLE event_bus_policies (
  account TEXT COLLATE "C" NOT NULL,
  region  TEXT COLLATE "C" NOT NULL,
  bus     TEXT COLLATE "C" NOT NULL,
  policy  TEXT NOT NULL,
  PRIMARY KEY (account, region, bus)
);
)sql";

// A rule's ScheduleExpression ("" for a rule of events only).
const char* const kEventsV6 = "ALTER TABLE event_rules ADD COLUMN schedule TEXT NOT NULL DEFAULT '';";

// Archives and replays (documents by kind and name), and the events archives keep.
const char* const kEventsV7 = R"sql(
CREATE TABLE event_docs (
  account  TEXT COLLATE "C" NOT NULL,
  region   TEXT COLLATE "C" NOT NULL,
  kind     TEXT COLLATE "C" NOT NULL,
  name     TEXT COLLATE "C" NOT NULL,
  arn      TEXT NOT NULL,
  document TEXT NOT NULL,
  PRIMARY KEY (account, region, kind, name)
);
CREATE TABLE event_archive_events (
  seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  account    TEXT COLLATE "C" NOT NULL,
  region     TEXT COLLATE "C" NOT NULL,
  archive    TEXT COLLATE "C" NOT NULL,
  time_ms    BIGINT NOT NULL,
  expires_ms BIGINT NOT NULL,
  size       BIGINT NOT NULL,
  json       TEXT NOT NULL
);
CREATE INDEX event_archive_events_by_archive ON event_archive_events (account, region, archive, seq);
CREATE INDEX event_archive_events_by_expiry ON event_archive_events (expires_ms) WHERE expires_ms > 0;
)sql";

// A rule's RoleArn ("" for none).
const char* const kEventsV8 = "ALTER TABLE event_rules ADD COLUMN role_arn TEXT NOT NULL DEFAULT '';";

// A bus's columns and its policy ("" when none); conditions name the bus table "b".
constexpr const char* kBusColumns =
    "SELECT b.name, b.arn, b.description, b.created_ms, b.modified_ms, "
    "coalesce(p.policy, '') FROM event_buses b LEFT JOIN event_bus_policies p "
    "ON p.account = b.account AND p.region = b.region AND p.bus = b.name ";

EventBusRecord DecodeBus(const pqxx::row& row) {
  return {Text(row[0]), Text(row[1]), Text(row[2]), Int(row[3]), Int(row[4]), Text(row[5])};
}

// The bus a rule key names ("default" for a key without '/').
std::string BusOfKey(const std::string& key) {
  const size_t slash = key.find('/');
  return slash == std::string::npos ? kDefaultEventBus : key.substr(0, slash);
}

// kResourceNotFound unless `bus` is the default bus or a custom bus of the scope. A custom
// bus's row is locked FOR SHARE: a DeleteBus (FOR UPDATE) waits for this write, and then
// sees what it added (a rule, a tag).
Status LockBusShared(Tx& tx, const Scope& scope, const std::string& bus) {
  if (bus == kDefaultEventBus) return Status::Ok();
  if (tx.Exec("SELECT 1 FROM event_buses WHERE account = $1 AND region = $2 AND name = $3 "
              "FOR SHARE",
              {scope.account, scope.region, bus})
          .empty()) {
    return Status(ErrorCode::kResourceNotFound, "no event bus " + bus);
  }
  return Status::Ok();
}

// The rules of a bus in the scope: keys without '/' on the default bus, "<bus>/..." on a
// custom one.
int64_t CountBusRules(Tx& tx, const Scope& scope, const std::string& bus) {
  if (bus == kDefaultEventBus) {
    return Int(tx.Exec("SELECT count(*) FROM event_rules WHERE account = $1 AND region = $2 "
                       "AND strpos(name, '/') = 0",
                       {scope.account, scope.region})[0][0]);
  }
  return Int(tx.Exec("SELECT count(*) FROM event_rules WHERE account = $1 AND region = $2 AND "
                     "starts_with(name, $3)",
                     {scope.account, scope.region, bus + "/"})[0][0]);
}

constexpr const char* kRuleColumns =
    "SELECT name, arn, pattern, state, description, created_ms, schedule, role_arn "
    "FROM event_rules ";

EventRuleRecord Decode(const pqxx::row& row) {
  EventRuleRecord r;
  r.name = Text(row[0]);
  r.arn = Text(row[1]);
  r.event_pattern = Text(row[2]);
  r.state = Text(row[3]);
  r.description = Text(row[4]);
  r.created_ms = Int(row[5]);
  r.schedule_expression = Text(row[6]);
  r.role_arn = Text(row[7]);
  return r;
}

// Locks the rule's row for this write and returns its ARN, or kResourceNotFound.
Result<std::string> LockRule(Tx& tx, const Scope& scope, const std::string& name) {
  auto r = tx.Exec(
      "SELECT arn FROM event_rules WHERE account = $1 AND region = $2 AND name = $3 FOR UPDATE",
      {scope.account, scope.region, name});
  if (r.empty()) return Status(ErrorCode::kResourceNotFound, "no rule " + name);
  return Text(r[0][0]);
}

int64_t CountTargets(Tx& tx, const Scope& scope, const std::string& rule) {
  return Int(tx.Exec("SELECT count(*) FROM event_targets WHERE account = $1 AND region = $2 "
                     "AND rule = $3",
                     {scope.account, scope.region, rule})[0][0]);
}

// Upserts the rule's tags; a key given twice keeps the last value.
void WriteTags(Tx& tx, const Scope& scope, const std::string& rule,
               const std::vector<EventTagRecord>& tags) {
  for (const auto& t : tags) {
    tx.Exec(
        "INSERT INTO event_rule_tags (account, region, rule, key, value) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, rule, key) "
        "DO UPDATE SET value = excluded.value",
        {scope.account, scope.region, rule, t.key, t.value});
  }
}

}  // namespace

Migrations PgEventRuleStore::Schema() {
  return {"events", {kEventsV1, kEventsV2, kEventsV3, kEventsV4, kEventsV5, kEventsV6, kEventsV7,
                     kEventsV8}};
}

Status PgEventRuleStore::PutRule(const Scope& scope, const EventRuleRecord& r, size_t max_rules,
                                 const std::vector<EventTagRecord>& tags) {
  return db_.Write("write rule", [&](Tx& tx) -> Status {
    const std::string bus = BusOfKey(r.name);
    ARCANA_RETURN_IF_ERROR(LockBusShared(tx, scope, bus));
    auto existing = LockRule(tx, scope, r.name);
    if (!existing.ok()) {
      int64_t n = CountBusRules(tx, scope, bus);
      if (static_cast<size_t>(n) >= max_rules) {
        return Status(ErrorCode::kLimitExceeded, "too many rules");
      }
    }
    tx.Exec(
        "INSERT INTO event_rules (account, region, name, arn, pattern, state, description, "
        "created_ms, schedule, role_arn) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (account, region, name) DO UPDATE SET pattern = excluded.pattern, "
        "state = excluded.state, description = excluded.description, "
        "schedule = excluded.schedule, role_arn = excluded.role_arn",
        {scope.account, scope.region, r.name, r.arn, r.event_pattern, r.state, r.description,
         r.created_ms, r.schedule_expression, r.role_arn});
    if (!existing.ok()) WriteTags(tx, scope, r.name, tags);
    tx.AddChange({0, 0, scope.account, scope.region, kService,
                  existing.ok() ? *existing : r.arn, "PutRule"});
    return Status::Ok();
  });
}

Result<std::optional<EventRuleRecord>> PgEventRuleStore::GetRule(const Scope& scope,
                                                                 const std::string& name) {
  std::optional<EventRuleRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read rule", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kRuleColumns) + "WHERE account = $1 AND region = $2 AND name = $3",
                     {scope.account, scope.region, name});
    if (!r.empty()) out = Decode(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<EventRuleRecord>> PgEventRuleStore::ListRules(const Scope& scope,
                                                                 const std::string& key_prefix,
                                                                 const std::string& after_key,
                                                                 size_t limit,
                                                                 bool default_bus_only) {
  std::vector<EventRuleRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list rules", [&](Tx& tx) {
    for (const auto& row : tx.Exec(std::string(kRuleColumns) +
                                       "WHERE account = $1 AND region = $2 AND name > $3 AND "
                                       "starts_with(name, $4) AND "
                                       "($5::int = 0 OR strpos(name, '/') = 0) "
                                       "ORDER BY name LIMIT $6",
                                   {scope.account, scope.region, after_key,
                                    std::string(key_prefix), default_bus_only ? 1 : 0,
                                    std::min(limit, kMaxListLimit)})) {
      out.push_back(Decode(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::DeleteRule(const Scope& scope, const std::string& name) {
  return db_.Write("delete rule", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, name));
    if (CountTargets(tx, scope, name) > 0) {
      return Status(ErrorCode::kPreconditionNotMet, "rule " + name + " has targets");
    }
    tx.Exec("DELETE FROM event_rules WHERE account = $1 AND region = $2 AND name = $3",
            {scope.account, scope.region, name});
    tx.Exec("DELETE FROM event_rule_tags WHERE account = $1 AND region = $2 AND rule = $3",
            {scope.account, scope.region, name});
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "DeleteRule"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::SetRuleState(const Scope& scope, const std::string& name,
                                      const std::string& state) {
  return db_.Write("write rule state", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, name));
    tx.Exec("UPDATE event_rules SET state = $1 WHERE account = $2 AND region = $3 AND name = $4",
            {state, scope.account, scope.region, name});
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn,
                  state == "ENABLED" ? "EnableRule" : "DisableRule"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::PutTargets(const Scope& scope, const std::string& rule,
                                    const std::vector<EventTargetRecord>& targets,
                                    size_t max_targets) {
  return db_.Write("write targets", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, rule));
    for (const auto& t : targets) {
      tx.Exec(
          "INSERT INTO event_targets (account, region, rule, id, document) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, rule, id) "
          "DO UPDATE SET document = excluded.document",
          {scope.account, scope.region, rule, t.id, t.document});
    }
    if (static_cast<size_t>(CountTargets(tx, scope, rule)) > max_targets) {
      return Status(ErrorCode::kLimitExceeded, "too many targets");  // rolled back
    }
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "PutTargets"});
    return Status::Ok();
  });
}

Result<std::vector<EventTargetRecord>> PgEventRuleStore::ListTargets(const Scope& scope,
                                                                     const std::string& rule,
                                                                     const std::string& after_id,
                                                                     size_t limit) {
  std::vector<EventTargetRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list targets", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("SELECT id, document FROM event_targets WHERE account = $1 AND region = $2 AND "
                 "rule = $3 AND id > $4 ORDER BY id LIMIT $5",
                 {scope.account, scope.region, rule, after_id, std::min(limit, kMaxListLimit)})) {
      out.push_back({Text(row[0]), Text(row[1])});
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::RemoveTargets(const Scope& scope, const std::string& rule,
                                       const std::vector<std::string>& ids) {
  return db_.Write("remove targets", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, rule));
    tx.Exec("DELETE FROM event_targets WHERE account = $1 AND region = $2 AND rule = $3 AND "
            "id = ANY($4::text[])",
            {scope.account, scope.region, rule, Param::TextArray(ids)});
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "RemoveTargets"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::TagRule(const Scope& scope, const std::string& rule,
                                 const std::vector<EventTagRecord>& tags, size_t max_tags) {
  return db_.Write("write tags", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, rule));
    WriteTags(tx, scope, rule, tags);
    int64_t n = Int(tx.Exec("SELECT count(*) FROM event_rule_tags WHERE account = $1 AND "
                            "region = $2 AND rule = $3",
                            {scope.account, scope.region, rule})[0][0]);
    if (static_cast<size_t>(n) > max_tags) {
      return Status(ErrorCode::kLimitExceeded, "too many tags");  // rolled back
    }
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "TagResource"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::UntagRule(const Scope& scope, const std::string& rule,
                                   const std::vector<std::string>& keys) {
  return db_.Write("remove tags", [&](Tx& tx) -> Status {
    ARCANA_ASSIGN_OR_RETURN(std::string arn, LockRule(tx, scope, rule));
    tx.Exec("DELETE FROM event_rule_tags WHERE account = $1 AND region = $2 AND rule = $3 AND "
            "key = ANY($4::text[])",
            {scope.account, scope.region, rule, Param::TextArray(keys)});
    tx.AddChange({0, 0, scope.account, scope.region, kService, arn, "UntagResource"});
    return Status::Ok();
  });
}

Result<std::vector<EventTagRecord>> PgEventRuleStore::ListRuleTags(const Scope& scope,
                                                                   const std::string& rule) {
  std::vector<EventTagRecord> out;
  bool found = false;
  ARCANA_RETURN_IF_ERROR(db_.Read("list tags", [&](Tx& tx) {
    // One statement: the rule's existence and its tags agree.
    for (const auto& row :
         tx.Exec("SELECT t.key, t.value FROM event_rules r LEFT JOIN event_rule_tags t "
                 "ON t.account = r.account AND t.region = r.region AND t.rule = r.name "
                 "WHERE r.account = $1 AND r.region = $2 AND r.name = $3 ORDER BY t.key",
                 {scope.account, scope.region, rule})) {
      found = true;
      if (!row[0].is_null()) out.push_back({Text(row[0]), Text(row[1])});
    }
    return Status::Ok();
  }));
  if (!found) return Status(ErrorCode::kResourceNotFound, "no rule " + rule);
  return out;
}

namespace {

std::string BusArn(const Scope& scope, const std::string& bus) {
  return "arn:aws:events:" + scope.region + ":" + scope.account + ":event-bus/" + bus;
}

// A bus has no row to lock (the default bus exists without one): its tag writes serialise on
// a transaction-scoped advisory lock of the bus, so two TagBus on two nodes cannot both pass
// the tag limit.
void LockBusTags(Tx& tx, const Scope& scope, const std::string& bus) {
  tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7213))",
          {scope.account + "\n" + scope.region + "\n" + bus});
}

}  // namespace

Status PgEventRuleStore::TagBus(const Scope& scope, const std::string& bus,
                                const std::vector<EventTagRecord>& tags, size_t max_tags) {
  return db_.Write("write bus tags", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(LockBusShared(tx, scope, bus));
    LockBusTags(tx, scope, bus);
    for (const auto& t : tags) {
      tx.Exec(
          "INSERT INTO event_bus_tags (account, region, bus, key, value) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, bus, key) "
          "DO UPDATE SET value = excluded.value",
          {scope.account, scope.region, bus, t.key, t.value});
    }
    int64_t n = Int(tx.Exec("SELECT count(*) FROM event_bus_tags WHERE account = $1 AND "
                            "region = $2 AND bus = $3",
                            {scope.account, scope.region, bus})[0][0]);
    if (static_cast<size_t>(n) > max_tags) {
      return Status(ErrorCode::kLimitExceeded, "too many tags");  // rolled back
    }
    tx.AddChange({0, 0, scope.account, scope.region, kService, BusArn(scope, bus), "TagResource"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::UntagBus(const Scope& scope, const std::string& bus,
                                  const std::vector<std::string>& keys) {
  return db_.Write("remove bus tags", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(LockBusShared(tx, scope, bus));
    LockBusTags(tx, scope, bus);
    tx.Exec("DELETE FROM event_bus_tags WHERE account = $1 AND region = $2 AND bus = $3 AND "
            "key = ANY($4::text[])",
            {scope.account, scope.region, bus, Param::TextArray(keys)});
    tx.AddChange(
        {0, 0, scope.account, scope.region, kService, BusArn(scope, bus), "UntagResource"});
    return Status::Ok();
  });
}

Result<std::vector<EventTagRecord>> PgEventRuleStore::ListBusTags(const Scope& scope,
                                                                  const std::string& bus) {
  std::vector<EventTagRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list bus tags", [&](Tx& tx) {
    for (const auto& row :
         tx.Exec("SELECT key, value FROM event_bus_tags WHERE account = $1 AND region = $2 AND "
                 "bus = $3 ORDER BY key",
                 {scope.account, scope.region, bus})) {
      out.push_back({Text(row[0]), Text(row[1])});
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::CreateBus(const Scope& scope, const EventBusRecord& bus,
                                   size_t max_buses, const std::vector<EventTagRecord>& tags) {
  return db_.Write("write event bus", [&](Tx& tx) -> Status {
    // Creations in a scope take turns, so two nodes cannot both pass the limit.
    tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7214))",
            {scope.account + "\n" + scope.region});
    if (!tx.Exec("SELECT 1 FROM event_buses WHERE account = $1 AND region = $2 AND name = $3",
                 {scope.account, scope.region, bus.name})
             .empty()) {
      return Status(ErrorCode::kResourceExists, "event bus " + bus.name + " exists");
    }
    int64_t n = Int(tx.Exec("SELECT count(*) FROM event_buses WHERE account = $1 AND region = $2",
                            {scope.account, scope.region})[0][0]);
    if (static_cast<size_t>(n) >= max_buses) {
      return Status(ErrorCode::kLimitExceeded, "too many event buses");
    }
    tx.Exec("INSERT INTO event_buses (account, region, name, arn, description, created_ms, "
            "modified_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            {scope.account, scope.region, bus.name, bus.arn, bus.description, bus.created_ms,
             bus.modified_ms});
    // Tags of an earlier bus of that name went with it (DeleteBus); none can be left.
    for (const auto& t : tags) {
      tx.Exec(
          "INSERT INTO event_bus_tags (account, region, bus, key, value) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (account, region, bus, key) "
          "DO UPDATE SET value = excluded.value",
          {scope.account, scope.region, bus.name, t.key, t.value});
    }
    tx.AddChange({0, 0, scope.account, scope.region, kService, bus.arn, "CreateEventBus"});
    return Status::Ok();
  });
}

Result<std::optional<EventBusRecord>> PgEventRuleStore::GetBus(const Scope& scope,
                                                               const std::string& name) {
  std::optional<EventBusRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read event bus", [&](Tx& tx) {
    auto r = tx.Exec(std::string(kBusColumns) +
                         "WHERE b.account = $1 AND b.region = $2 AND b.name = $3",
                     {scope.account, scope.region, name});
    if (!r.empty()) out = DecodeBus(r[0]);
    return Status::Ok();
  }));
  return out;
}

Result<std::vector<EventBusRecord>> PgEventRuleStore::ListBuses(const Scope& scope,
                                                               const std::string& name_prefix,
                                                               const std::string& after_name,
                                                               size_t limit) {
  std::vector<EventBusRecord> out;
  ARCANA_RETURN_IF_ERROR(db_.Read("list event buses", [&](Tx& tx) {
    for (const auto& row : tx.Exec(std::string(kBusColumns) +
                                       "WHERE b.account = $1 AND b.region = $2 AND b.name > $3 "
                                       "AND starts_with(b.name, $4) ORDER BY b.name LIMIT $5",
                                   {scope.account, scope.region, after_name, name_prefix,
                                    std::min(limit, kMaxListLimit)})) {
      out.push_back(DecodeBus(row));
    }
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::UpdateBus(const Scope& scope, const std::string& name,
                                   const std::string& description, int64_t modified_ms) {
  return db_.Write("write event bus", [&](Tx& tx) -> Status {
    if (tx.Exec("UPDATE event_buses SET description = $1, modified_ms = $2 WHERE account = $3 "
                "AND region = $4 AND name = $5 RETURNING name",
                {description, modified_ms, scope.account, scope.region, name})
            .empty()) {
      return Status(ErrorCode::kResourceNotFound, "no event bus " + name);
    }
    tx.AddChange(
        {0, 0, scope.account, scope.region, kService, BusArn(scope, name), "UpdateEventBus"});
    return Status::Ok();
  });
}

Status PgEventRuleStore::DeleteBus(const Scope& scope, const std::string& name) {
  return db_.Write("delete event bus", [&](Tx& tx) -> Status {
    // FOR UPDATE: waits for the writes holding the bus FOR SHARE (a rule, a tag being added).
    if (tx.Exec("SELECT 1 FROM event_buses WHERE account = $1 AND region = $2 AND name = $3 "
                "FOR UPDATE",
                {scope.account, scope.region, name})
            .empty()) {
      return Status(ErrorCode::kResourceNotFound, "no event bus " + name);
    }
    if (CountBusRules(tx, scope, name) > 0) {
      return Status(ErrorCode::kPreconditionNotMet, "event bus " + name + " has rules");
    }
    tx.Exec("DELETE FROM event_buses WHERE account = $1 AND region = $2 AND name = $3",
            {scope.account, scope.region, name});
    tx.Exec("DELETE FROM event_bus_tags WHERE account = $1 AND region = $2 AND bus = $3",
            {scope.account, scope.region, name});
    tx.Exec("DELETE FROM event_bus_policies WHERE account = $1 AND region = $2 AND bus = $3",
            {scope.account, scope.region, name});
    tx.AddChange(
        {0, 0, scope.account, scope.region, kService, BusArn(scope, name), "DeleteEventBus"});
    return Status::Ok();
  });
}

Result<std::string> PgEventRuleStore::GetBusPolicy(const Scope& scope, const std::string& bus) {
  std::string out;
  ARCANA_RETURN_IF_ERROR(db_.Read("read bus policy", [&](Tx& tx) {
    auto r = tx.Exec("SELECT policy FROM event_bus_policies WHERE account = $1 AND region = $2 "
                     "AND bus = $3",
                     {scope.account, scope.region, bus});
    if (!r.empty()) out = Text(r[0][0]);
    return Status::Ok();
  }));
  return out;
}

Status PgEventRuleStore::EditBusPolicy(const Scope& scope, const std::string& bus,
                                       const std::string& kind, const PolicyEdit& edit) {
  return db_.Write("write bus policy", [&](Tx& tx) -> Status {
    ARCANA_RETURN_IF_ERROR(LockBusShared(tx, scope, bus));
    // Edits of one bus's policy take turns (the default bus has no row to lock).
    tx.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 7215))",
            {scope.account + "\n" + scope.region + "\n" + bus});
    auto r = tx.Exec("SELECT policy FROM event_bus_policies WHERE account = $1 AND region = $2 "
                     "AND bus = $3",
                     {scope.account, scope.region, bus});
    ARCANA_ASSIGN_OR_RETURN(std::string next, edit(r.empty() ? std::string() : Text(r[0][0])));
    if (next.empty()) {
      tx.Exec("DELETE FROM event_bus_policies WHERE account = $1 AND region = $2 AND bus = $3",
              {scope.account, scope.region, bus});
    } else {
      tx.Exec("INSERT INTO event_bus_policies (account, region, bus, policy) "
              "VALUES ($1, $2, $3, $4) ON CONFLICT (account, region, bus) "
              "DO UPDATE SET policy = excluded.policy",
              {scope.account, scope.region, bus, next});
    }
    tx.AddChange({0, 0, scope.account, scope.region, kService, BusArn(scope, bus), kind});
    return Status::Ok();
  });
}

Status PgEventRuleStore::WipeEventRules() {
  return db_.Write("wipe rules", [&](Tx& tx) {
    for (const auto& row : tx.Exec("DELETE FROM event_docs RETURNING account, region, arn")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService, Text(row[2]), "WipeResources"});
    }
    tx.Exec("DELETE FROM event_archive_events");
    tx.Exec("DELETE FROM event_bus_policies");
    for (const auto& row : tx.Exec("DELETE FROM event_buses RETURNING account, region, arn")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService, Text(row[2]), "WipeResources"});
    }
    // One change per tagged bus (resource: its ARN), as a rule's are recorded.
    for (const auto& row :
         tx.Exec("SELECT DISTINCT account, region, bus FROM event_bus_tags")) {
      Scope scope{Text(row[0]), Text(row[1])};
      tx.AddChange({0, 0, scope.account, scope.region, kService, BusArn(scope, Text(row[2])),
                    "WipeResources"});
    }
    tx.Exec("DELETE FROM event_bus_tags");
    tx.Exec("DELETE FROM event_rule_tags");
    tx.Exec("DELETE FROM event_targets");
    for (const auto& row : tx.Exec("DELETE FROM event_rules RETURNING account, region, arn")) {
      tx.AddChange({0, 0, Text(row[0]), Text(row[1]), kService, Text(row[2]), "WipeResources"});
    }
    return Status::Ok();
  });
}

}  // namespace arcana::storage::pg
