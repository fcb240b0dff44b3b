#include "storage/sqlite/event_rule_store.h"

#include <algorithm>

namespace arcana::storage::sqlite {

namespace {
constexpr const char* kService = "events";

const char* const kEventsMigrations[] = {
    // 1: rules of the default event bus and their targets.
    R"sql(
    CREATE TABLE event_rules (
      account     TEXT NOT NULL,
      region      TEXT NOT NULL,
      name        TEXT NOT NULL,
      arn         TEXT NOT NULL,
      pattern     TEXT NOT NULL,
      state       TEXT NOT NULL,
      description TEXT NOT NULL,
      created_ms  INTEGER NOT NULL,
      PRIMARY KEY (account, region, name)
    ) WITHOUT ROWID;
    CREATE TABLE event_targets (
      account  TEXT NOT NULL,
      region   TEXT NOT NULL,
      rule     TEXT NOT NULL,
      id       TEXT NOT NULL,
      document TEXT NOT NULL,
      PRIMARY KEY (account, region, rule, id)
    ) WITHOUT ROWID;
    )sql",
    // 2: the tags of a rule (TagResource, PutRule's Tags), deleted with it.
    R"sql(
    CREATE TABLE event_rule_tags (
      account TEXT NOT NULL,
      region  TEXT NOT NULL,
      rule    TEXT NOT NULL,
      key     TEXT NOT NULL,
      value   TEXT NOT NULL,
      PRIMARY KEY (account, region, rule, key)
    ) WITHOUT ROWID;
    )sql",
    // 3: the tags of an event bus (TagResource on event-bus/<name>), by the bus's name.
    R"sql(
    CREATE TABLE event_bus_tags (
      account TEXT NOT NULL,
      region  TEXT NOT NULL,
      bus     TEXT NOT NULL,
      key     TEXT NOT NULL,
      value   TEXT NOT NULL,
      PRIMARY KEY (account, region, bus, key)
    ) WITHOUT ROWID;
    )sql",
    // 4: custom event buses (CreateEventBus); the default bus of a scope is no row. Their
    // rules are event_rules rows keyed "<bus>/<rule>".
    R"sql(
    CREATE TABLE event_buses (
      account     TEXT NOT NULL,
      region      TEXT NOT NULL,
      name        TEXT NOT NULL,
      arn         TEXT NOT NULL,
      description TEXT NOT NULL,
      created_ms  INTEGER NOT NULL,
      modified_ms INTEGER NOT NULL,
      PRIMARY KEY (account, region, name)
    ) WITHOUT ROWID;
    )sql",
    // 5: the resource-based policy of a bus (PutPermission), the default bus's too.
    R"sql(
    CREATE TABLE event_bus_policies (
      account TEXT NOT NULL,
      region  TEXT NOT NULL,
      bus     TEXT NOT NULL,
      policy  TEXT NOT NULL,
      PRIMARY KEY (account, region, bus)
    ) WITHOUT ROWID;
    )sql",
    // 6: a rule's ScheduleExpression ("" for a rule of events only).
    R"sql(
    ALTER TABLE event_rules ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
    )sql",
    // 7: archives and replays (documents by kind and name), and the events archives keep.
    R"sql(
    CREATE TABLE event_docs (
      account  TEXT NOT NULL,
      region   TEXT NOT NULL,
      kind     TEXT NOT NULL,
      name     TEXT NOT NULL,
      arn      TEXT NOT NULL,
      document TEXT NOT NULL,
      PRIMARY KEY (account, region, kind, name)
    ) WITHOUT ROWID;
    CREATE TABLE event_archive_events (
      seq        INTEGER PRIMARY KEY AUTOINCREMENT,
      account    TEXT NOT NULL,
      region     TEXT NOT NULL,
      archive    TEXT NOT NULL,
      time_ms    INTEGER NOT NULL,
      expires_ms INTEGER NOT NULL,
      size       INTEGER NOT NULL,
      json       TEXT NOT NULL
    );
    CREATE INDEX event_archive_events_by_archive
      ON event_archive_events (account, region, archive, seq);
    CREATE INDEX event_archive_events_by_expiry
      ON event_archive_events (expires_ms) WHERE expires_ms > 0;
    )sql",
    // 8: a rule's RoleArn ("" for none).
    R"sql(
    ALTER TABLE event_rules ADD COLUMN role_arn TEXT NOT NULL DEFAULT '';
    )sql",
};

// The bus a rule key names ("default" for a key without '/').
std::string BusOfKey(const std::string& key) {
  const size_t slash = key.find('/');
  return slash == std::string::npos ? kDefaultEventBus : key.substr(0, slash);
}

EventRuleRecord ReadRule(sqlite3_stmt* st) {
  EventRuleRecord r;
  r.name = ColText(st, 0);
  r.arn = ColText(st, 1);
  r.event_pattern = ColText(st, 2);
  r.state = ColText(st, 3);
  r.description = ColText(st, 4);
  r.created_ms = sqlite3_column_int64(st, 5);
  r.schedule_expression = ColText(st, 6);
  r.role_arn = ColText(st, 7);
  return r;
}

void BindScope(sqlite3_stmt* st, const Scope& scope) {
  BindText(st, 1, scope.account);
  BindText(st, 2, scope.region);
}

// The rule's ARN inside a write, or kResourceNotFound.
Result<std::string> RuleArn(Conn& c, const Scope& scope, const std::string& name) {
  sqlite3_stmt* st =
      c.Prepare("SELECT arn FROM event_rules WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return Status(ErrorCode::kResourceNotFound, "no rule " + name);
  if (rc != SQLITE_ROW) return DbError(c.db(), "read rule");
  std::string arn = ColText(st, 0);
  sqlite3_reset(st);
  return arn;
}

Result<int64_t> CountRows(Conn& c, const char* sql, const Scope& scope, const std::string* rule) {
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  BindScope(st, scope);
  if (rule != nullptr) BindText(st, 3, *rule);
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "count");
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

constexpr const char* kUpsertRuleTag =
    "INSERT INTO event_rule_tags (account, region, rule, key, value) VALUES (?,?,?,?,?) "
    "ON CONFLICT (account, region, rule, key) DO UPDATE SET value = excluded.value";
constexpr const char* kUpsertBusTag =
    "INSERT INTO event_bus_tags (account, region, bus, key, value) VALUES (?,?,?,?,?) "
    "ON CONFLICT (account, region, bus, key) DO UPDATE SET value = excluded.value";

// Upserts the tags of a rule or bus (`sql`: kUpsertRuleTag or kUpsertBusTag, binding
// account, region, owner, key, value); a key given twice keeps the last value.
Status WriteTags(Conn& c, const Scope& scope, const std::string& owner,
                 const std::vector<EventTagRecord>& tags, const char* sql = kUpsertRuleTag) {
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  for (const auto& t : tags) {
    BindScope(st, scope);
    BindText(st, 3, owner);
    BindText(st, 4, t.key);
    BindText(st, 5, t.value);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write tag"));
    sqlite3_reset(st);
  }
  return Status::Ok();
}

// Deletes every row of the rule in one of its child tables (targets, tags).
Status DeleteChildren(Conn& c, const char* sql, const Scope& scope, const std::string& rule) {
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, rule);
  return Step(c, st, "delete rule rows");
}
// Runs `sql` (binding account, region, rule, value) once per value: the rows of a rule's
// child table (targets, tags) named by a list.
Status DeleteEach(Conn& c, const char* sql, const Scope& scope, const std::string& rule,
                  const std::vector<std::string>& values, const char* what) {
  sqlite3_stmt* st = c.Prepare(sql);
  if (!st) return DbError(c.db(), "prepare");
  for (const auto& v : values) {
    BindScope(st, scope);
    BindText(st, 3, rule);
    BindText(st, 4, v);
    ARCANA_RETURN_IF_ERROR(Step(c, st, what));
    sqlite3_reset(st);
  }
  return Status::Ok();
}

// Whether the scope has custom bus `name` (read inside a write).
Result<bool> BusExists(Conn& c, const Scope& scope, const std::string& name) {
  ARCANA_ASSIGN_OR_RETURN(
      int64_t n, CountRows(c, "SELECT count(*) FROM event_buses WHERE account = ? AND region = ? "
                              "AND name = ?",
                           scope, &name));
  return n > 0;
}

// The rules of a bus in the scope: keys without '/' on the default bus, "<bus>/..." on a
// custom one ('0' is the character after '/', so the range is exactly that prefix).
Result<int64_t> CountBusRules(Conn& c, const Scope& scope, const std::string& bus) {
  if (bus == kDefaultEventBus) {
    return CountRows(c, "SELECT count(*) FROM event_rules WHERE account = ? AND region = ? "
                        "AND instr(name, '/') = 0",
                     scope, nullptr);
  }
  sqlite3_stmt* st = c.Prepare(
      "SELECT count(*) FROM event_rules WHERE account = ? AND region = ? AND name >= ? AND "
      "name < ?");
  if (!st) return DbError(c.db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, bus + "/");
  BindText(st, 4, bus + "0");
  if (sqlite3_step(st) != SQLITE_ROW) return DbError(c.db(), "count");
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_reset(st);
  return n;
}

// kResourceNotFound unless `bus` is the default bus or a custom bus of the scope.
Status CheckBusInWrite(Conn& c, const Scope& scope, const std::string& bus) {
  if (bus == kDefaultEventBus) return Status::Ok();
  ARCANA_ASSIGN_OR_RETURN(bool exists, BusExists(c, scope, bus));
  if (!exists) return Status(ErrorCode::kResourceNotFound, "no event bus " + bus);
  return Status::Ok();
}

EventBusRecord ReadBus(sqlite3_stmt* st) {
  return {ColText(st, 0), ColText(st, 1), ColText(st, 2), sqlite3_column_int64(st, 3),
          sqlite3_column_int64(st, 4), ColText(st, 5)};
}

// A bus's columns and its policy ("" when none).
constexpr const char* kBusSelect =
    "SELECT b.name, b.arn, b.description, b.created_ms, b.modified_ms, "
    "coalesce(p.policy, '') FROM event_buses b LEFT JOIN event_bus_policies p "
    "ON p.account = b.account AND p.region = b.region AND p.bus = b.name ";

}  // namespace

Migrations SqliteEventRuleStore::Schema() {
  return {"events", kEventsMigrations, std::size(kEventsMigrations)};
}

Status SqliteEventRuleStore::PutRule(const Scope& scope, const EventRuleRecord& r,
                                     size_t max_rules, const std::vector<EventTagRecord>& tags) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    const std::string bus = BusOfKey(r.name);
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, bus));
    auto existing = RuleArn(c, scope, r.name);
    if (!existing.ok() && existing.status().code() != ErrorCode::kResourceNotFound) {
      return existing.status();
    }
    if (!existing.ok()) {
      ARCANA_ASSIGN_OR_RETURN(int64_t n, CountBusRules(c, scope, bus));
      if (static_cast<size_t>(n) >= max_rules) {
        return Status(ErrorCode::kLimitExceeded, "too many rules");
      }
    }
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_rules (account, region, name, arn, pattern, state, description, "
        "created_ms, schedule, role_arn) VALUES (?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (account, region, name) DO UPDATE SET pattern = excluded.pattern, "
        "state = excluded.state, description = excluded.description, "
        "schedule = excluded.schedule, role_arn = excluded.role_arn");
    if (!st) return DbError(c.db(), "prepare");
    BindScope(st, scope);
    BindText(st, 3, r.name);
    BindText(st, 4, r.arn);
    BindText(st, 5, r.event_pattern);
    BindText(st, 6, r.state);
    BindText(st, 7, r.description);
    sqlite3_bind_int64(st, 8, r.created_ms);
    BindText(st, 9, r.schedule_expression);
    BindText(st, 10, r.role_arn);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write rule"));
    if (!existing.ok()) ARCANA_RETURN_IF_ERROR(WriteTags(c, scope, r.name, tags));
    return txn.AddChange(scope.account, scope.region, kService,
                         existing.ok() ? *existing : r.arn, "PutRule");
  });
}

Result<std::optional<EventRuleRecord>> SqliteEventRuleStore::GetRule(const Scope& scope,
                                                                     const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT name, arn, pattern, state, description, created_ms, schedule, role_arn "
      "FROM event_rules WHERE account = ? AND region = ? AND name = ?");
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<EventRuleRecord>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read rule");
  auto r = ReadRule(st);
  sqlite3_reset(st);
  return std::optional<EventRuleRecord>(std::move(r));
}

Result<std::vector<EventRuleRecord>> SqliteEventRuleStore::ListRules(
    const Scope& scope, const std::string& key_prefix, const std::string& after_key,
    size_t limit, bool default_bus_only) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT name, arn, pattern, state, description, created_ms, schedule, role_arn "
      "FROM event_rules WHERE account = ? AND region = ? AND name > ? AND substr(name, 1, length(?)) = ? "
      "AND (? = 0 OR instr(name, '/') = 0) ORDER BY name LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, after_key);
  BindText(st, 4, key_prefix);
  BindText(st, 5, key_prefix);
  sqlite3_bind_int(st, 6, default_bus_only ? 1 : 0);
  sqlite3_bind_int64(st, 7, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<EventRuleRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadRule(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list rules");
  return out;
}

Status SqliteEventRuleStore::DeleteRule(const Scope& scope, const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, name));
    ARCANA_ASSIGN_OR_RETURN(
        int64_t targets,
        CountRows(c,
                  "SELECT count(*) FROM event_targets WHERE account = ? AND region = ? AND rule = ?",
                  scope, &name));
    if (targets > 0) return Status(ErrorCode::kPreconditionNotMet, "rule " + name + " has targets");
    sqlite3_stmt* del =
        c.Prepare("DELETE FROM event_rules WHERE account = ? AND region = ? AND name = ?");
    if (!del) return DbError(c.db(), "prepare");
    BindScope(del, scope);
    BindText(del, 3, name);
    ARCANA_RETURN_IF_ERROR(Step(c, del, "delete rule"));
    ARCANA_RETURN_IF_ERROR(DeleteChildren(
        c, "DELETE FROM event_rule_tags WHERE account = ? AND region = ? AND rule = ?", scope,
        name));
    return txn.AddChange(scope.account, scope.region, kService, arn, "DeleteRule");
  });
}

Status SqliteEventRuleStore::SetRuleState(const Scope& scope, const std::string& name,
                                          const std::string& state) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, name));
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_rules SET state = ? WHERE account = ? AND region = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, state);
    BindText(st, 2, scope.account);
    BindText(st, 3, scope.region);
    BindText(st, 4, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write rule state"));
    return txn.AddChange(scope.account, scope.region, kService, arn,
                         state == "ENABLED" ? "EnableRule" : "DisableRule");
  });
}

Status SqliteEventRuleStore::PutTargets(const Scope& scope, const std::string& rule,
                                        const std::vector<EventTargetRecord>& targets,
                                        size_t max_targets) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, rule));
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_targets (account, region, rule, id, document) VALUES (?,?,?,?,?) "
        "ON CONFLICT (account, region, rule, id) DO UPDATE SET document = excluded.document");
    if (!st) return DbError(c.db(), "prepare");
    for (const auto& t : targets) {
      BindScope(st, scope);
      BindText(st, 3, rule);
      BindText(st, 4, t.id);
      BindText(st, 5, t.document);
      ARCANA_RETURN_IF_ERROR(Step(c, st, "write target"));
      sqlite3_reset(st);
    }
    ARCANA_ASSIGN_OR_RETURN(
        int64_t n,
        CountRows(c,
                  "SELECT count(*) FROM event_targets WHERE account = ? AND region = ? AND rule = ?",
                  scope, &rule));
    if (static_cast<size_t>(n) > max_targets) {
      return Status(ErrorCode::kLimitExceeded, "too many targets");  // rolled back
    }
    return txn.AddChange(scope.account, scope.region, kService, arn, "PutTargets");
  });
}

Result<std::vector<EventTargetRecord>> SqliteEventRuleStore::ListTargets(
    const Scope& scope, const std::string& rule, const std::string& after_id, size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT id, document FROM event_targets WHERE account = ? AND region = ? AND rule = ? "
      "AND id > ? ORDER BY id LIMIT ?");
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, rule);
  BindText(st, 4, after_id);
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<EventTargetRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back({ColText(st, 0), ColText(st, 1)});
  if (rc != SQLITE_DONE) return DbError(c->db(), "list targets");
  return out;
}

Status SqliteEventRuleStore::RemoveTargets(const Scope& scope, const std::string& rule,
                                           const std::vector<std::string>& ids) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, rule));
    ARCANA_RETURN_IF_ERROR(DeleteEach(
        c, "DELETE FROM event_targets WHERE account = ? AND region = ? AND rule = ? AND id = ?",
        scope, rule, ids, "delete target"));
    return txn.AddChange(scope.account, scope.region, kService, arn, "RemoveTargets");
  });
}

Status SqliteEventRuleStore::TagRule(const Scope& scope, const std::string& rule,
                                     const std::vector<EventTagRecord>& tags, size_t max_tags) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, rule));
    ARCANA_RETURN_IF_ERROR(WriteTags(c, scope, rule, tags));
    ARCANA_ASSIGN_OR_RETURN(
        int64_t n,
        CountRows(c,
                  "SELECT count(*) FROM event_rule_tags WHERE account = ? AND region = ? AND "
                  "rule = ?",
                  scope, &rule));
    if (static_cast<size_t>(n) > max_tags) {
      return Status(ErrorCode::kLimitExceeded, "too many tags");  // rolled back
    }
    return txn.AddChange(scope.account, scope.region, kService, arn, "TagResource");
  });
}

Status SqliteEventRuleStore::UntagRule(const Scope& scope, const std::string& rule,
                                       const std::vector<std::string>& keys) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(std::string arn, RuleArn(c, scope, rule));
    ARCANA_RETURN_IF_ERROR(DeleteEach(
        c, "DELETE FROM event_rule_tags WHERE account = ? AND region = ? AND rule = ? AND key = ?",
        scope, rule, keys, "delete tag"));
    return txn.AddChange(scope.account, scope.region, kService, arn, "UntagResource");
  });
}

Result<std::vector<EventTagRecord>> SqliteEventRuleStore::ListRuleTags(const Scope& scope,
                                                                       const std::string& rule) {
  ARCANA_LEASE(c, db_.pool());
  // One read: the rule's existence and its tags agree (a rule deleted meanwhile is absent).
  sqlite3_stmt* st = c->Prepare(
      "SELECT t.key, t.value FROM event_rules r LEFT JOIN event_rule_tags t "
      "ON t.account = r.account AND t.region = r.region AND t.rule = r.name "
      "WHERE r.account = ? AND r.region = ? AND r.name = ? ORDER BY t.key");
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, rule);
  std::vector<EventTagRecord> out;
  bool found = false;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    found = true;
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) out.push_back({ColText(st, 0), ColText(st, 1)});
  }
  if (rc != SQLITE_DONE) return DbError(c->db(), "list tags");
  if (!found) return Status(ErrorCode::kResourceNotFound, "no rule " + rule);
  return out;
}

namespace {
std::string BusArn(const Scope& scope, const std::string& bus) {
  return "arn:aws:events:" + scope.region + ":" + scope.account + ":event-bus/" + bus;
}
}  // namespace

Status SqliteEventRuleStore::TagBus(const Scope& scope, const std::string& bus,
                                    const std::vector<EventTagRecord>& tags, size_t max_tags) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, bus));
    ARCANA_RETURN_IF_ERROR(WriteTags(c, scope, bus, tags, kUpsertBusTag));
    ARCANA_ASSIGN_OR_RETURN(
        int64_t n,
        CountRows(c,
                  "SELECT count(*) FROM event_bus_tags WHERE account = ? AND region = ? AND "
                  "bus = ?",
                  scope, &bus));
    if (static_cast<size_t>(n) > max_tags) {
      return Status(ErrorCode::kLimitExceeded, "too many tags");  // rolled back
    }
    return txn.AddChange(scope.account, scope.region, kService, BusArn(scope, bus),
                         "TagResource");
  });
}

Status SqliteEventRuleStore::UntagBus(const Scope& scope, const std::string& bus,
                                      const std::vector<std::string>& keys) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, bus));
    ARCANA_RETURN_IF_ERROR(DeleteEach(
        c, "DELETE FROM event_bus_tags WHERE account = ? AND region = ? AND bus = ? AND key = ?",
        scope, bus, keys, "delete tag"));
    return txn.AddChange(scope.account, scope.region, kService, BusArn(scope, bus),
                         "UntagResource");
  });
}

Result<std::vector<EventTagRecord>> SqliteEventRuleStore::ListBusTags(const Scope& scope,
                                                                      const std::string& bus) {
  ARCANA_LEASE(c, db_.pool());
  sqlite3_stmt* st = c->Prepare(
      "SELECT key, value FROM event_bus_tags WHERE account = ? AND region = ? AND bus = ? "
      "ORDER BY key");
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, bus);
  std::vector<EventTagRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back({ColText(st, 0), ColText(st, 1)});
  if (rc != SQLITE_DONE) return DbError(c->db(), "list tags");
  return out;
}

Status SqliteEventRuleStore::CreateBus(const Scope& scope, const EventBusRecord& bus,
                                       size_t max_buses, const std::vector<EventTagRecord>& tags) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_ASSIGN_OR_RETURN(bool exists, BusExists(c, scope, bus.name));
    if (exists) return Status(ErrorCode::kResourceExists, "event bus " + bus.name + " exists");
    ARCANA_ASSIGN_OR_RETURN(
        int64_t n, CountRows(c, "SELECT count(*) FROM event_buses WHERE account = ? AND region = ?",
                             scope, nullptr));
    if (static_cast<size_t>(n) >= max_buses) {
      return Status(ErrorCode::kLimitExceeded, "too many event buses");
    }
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO event_buses (account, region, name, arn, description, created_ms, "
        "modified_ms) VALUES (?,?,?,?,?,?,?)");
    if (!st) return DbError(c.db(), "prepare");
    BindScope(st, scope);
    BindText(st, 3, bus.name);
    BindText(st, 4, bus.arn);
    BindText(st, 5, bus.description);
    sqlite3_bind_int64(st, 6, bus.created_ms);
    sqlite3_bind_int64(st, 7, bus.modified_ms);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write event bus"));
    // Tags of an earlier bus of that name went with it (DeleteBus); none can be left.
    ARCANA_RETURN_IF_ERROR(WriteTags(c, scope, bus.name, tags, kUpsertBusTag));
    return txn.AddChange(scope.account, scope.region, kService, bus.arn, "CreateEventBus");
  });
}

Result<std::optional<EventBusRecord>> SqliteEventRuleStore::GetBus(const Scope& scope,
                                                                   const std::string& name) {
  ARCANA_LEASE(c, db_.pool());
  static const std::string kSql =
      std::string(kBusSelect) + "WHERE b.account = ? AND b.region = ? AND b.name = ?";
  sqlite3_stmt* st = c->Prepare(kSql.c_str());
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, name);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::optional<EventBusRecord>();
  if (rc != SQLITE_ROW) return DbError(c->db(), "read event bus");
  auto bus = ReadBus(st);
  sqlite3_reset(st);
  return std::optional<EventBusRecord>(std::move(bus));
}

Result<std::vector<EventBusRecord>> SqliteEventRuleStore::ListBuses(const Scope& scope,
                                                                   const std::string& name_prefix,
                                                                   const std::string& after_name,
                                                                   size_t limit) {
  ARCANA_LEASE(c, db_.pool());
  static const std::string kSql =
      std::string(kBusSelect) +
      "WHERE b.account = ? AND b.region = ? AND b.name > ? AND "
      "substr(b.name, 1, length(?)) = ? ORDER BY b.name LIMIT ?";
  sqlite3_stmt* st = c->Prepare(kSql.c_str());
  if (!st) return DbError(c->db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, after_name);
  BindText(st, 4, name_prefix);
  BindText(st, 5, name_prefix);
  sqlite3_bind_int64(st, 6, static_cast<int64_t>(std::min(limit, kMaxListLimit)));
  std::vector<EventBusRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) out.push_back(ReadBus(st));
  if (rc != SQLITE_DONE) return DbError(c->db(), "list event buses");
  return out;
}

Status SqliteEventRuleStore::UpdateBus(const Scope& scope, const std::string& name,
                                       const std::string& description, int64_t modified_ms) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, name));
    sqlite3_stmt* st = c.Prepare(
        "UPDATE event_buses SET description = ?, modified_ms = ? WHERE account = ? AND "
        "region = ? AND name = ?");
    if (!st) return DbError(c.db(), "prepare");
    BindText(st, 1, description);
    sqlite3_bind_int64(st, 2, modified_ms);
    BindText(st, 3, scope.account);
    BindText(st, 4, scope.region);
    BindText(st, 5, name);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write event bus"));
    return txn.AddChange(scope.account, scope.region, kService, BusArn(scope, name),
                         "UpdateEventBus");
  });
}

Status SqliteEventRuleStore::DeleteBus(const Scope& scope, const std::string& name) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, name));
    ARCANA_ASSIGN_OR_RETURN(int64_t rules, CountBusRules(c, scope, name));
    if (rules > 0) return Status(ErrorCode::kPreconditionNotMet, "event bus " + name + " has rules");
    ARCANA_RETURN_IF_ERROR(DeleteChildren(
        c, "DELETE FROM event_buses WHERE account = ? AND region = ? AND name = ?", scope, name));
    ARCANA_RETURN_IF_ERROR(DeleteChildren(
        c, "DELETE FROM event_bus_tags WHERE account = ? AND region = ? AND bus = ?", scope,
        name));
    ARCANA_RETURN_IF_ERROR(DeleteChildren(
        c, "DELETE FROM event_bus_policies WHERE account = ? AND region = ? AND bus = ?", scope,
        name));
    return txn.AddChange(scope.account, scope.region, kService, BusArn(scope, name),
                         "DeleteEventBus");
  });
}

namespace {
// The policy of a bus read through c ("" when none).
Result<std::string> ReadBusPolicy(Conn& c, const Scope& scope, const std::string& bus) {
  sqlite3_stmt* st = c.Prepare(
      "SELECT policy FROM event_bus_policies WHERE account = ? AND region = ? AND bus = ?");
  if (!st) return DbError(c.db(), "prepare");
  BindScope(st, scope);
  BindText(st, 3, bus);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE) return std::string();
  if (rc != SQLITE_ROW) return DbError(c.db(), "read bus policy");
  std::string policy = ColText(st, 0);
  sqlite3_reset(st);
  return policy;
}
}  // namespace

Result<std::string> SqliteEventRuleStore::GetBusPolicy(const Scope& scope, const std::string& bus) {
  ARCANA_LEASE(c, db_.pool());
  return ReadBusPolicy(*c, scope, bus);
}

Status SqliteEventRuleStore::EditBusPolicy(const Scope& scope, const std::string& bus,
                                           const std::string& kind, const PolicyEdit& edit) {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    ARCANA_RETURN_IF_ERROR(CheckBusInWrite(c, scope, bus));
    ARCANA_ASSIGN_OR_RETURN(std::string current, ReadBusPolicy(c, scope, bus));
    ARCANA_ASSIGN_OR_RETURN(std::string next, edit(current));
    sqlite3_stmt* st = c.Prepare(
        next.empty()
            ? "DELETE FROM event_bus_policies WHERE account = ? AND region = ? AND bus = ?"
            : "INSERT INTO event_bus_policies (account, region, bus, policy) VALUES (?,?,?,?) "
              "ON CONFLICT (account, region, bus) DO UPDATE SET policy = excluded.policy");
    if (!st) return DbError(c.db(), "prepare");
    BindScope(st, scope);
    BindText(st, 3, bus);
    if (!next.empty()) BindText(st, 4, next);
    ARCANA_RETURN_IF_ERROR(Step(c, st, "write bus policy"));
    return txn.AddChange(scope.account, scope.region, kService, BusArn(scope, bus), kind);
  });
}

Status SqliteEventRuleStore::WipeEventRules() {
  return db_.Write([&](WriteTxn& txn) -> Status {
    Conn& c = txn.conn();
    sqlite3_stmt* docs = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?, account, region, 'events', arn, 'WipeResources' FROM event_docs");
    if (!docs) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(docs, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, docs, "record wipe"));
    ARCANA_RETURN_IF_ERROR(c.Exec("DELETE FROM event_docs; DELETE FROM event_archive_events;"));
    sqlite3_stmt* st = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?, account, region, 'events', arn, 'WipeResources' FROM event_rules");
    if (!st) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(st, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, st, "record wipe"));
    txn.MarkChanged();
    // A bus's tags are recorded as changes too (resource: the bus's ARN), as a rule's are.
    sqlite3_stmt* buses = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT DISTINCT ?, account, region, 'events', "
        "'arn:aws:events:' || region || ':' || account || ':event-bus/' || bus, 'WipeResources' "
        "FROM event_bus_tags");
    if (!buses) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(buses, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, buses, "record wipe"));
    sqlite3_stmt* custom = c.Prepare(
        "INSERT INTO changes (at_ms, account, region, service, resource, kind) "
        "SELECT ?, account, region, 'events', arn, 'WipeResources' FROM event_buses");
    if (!custom) return DbError(c.db(), "prepare");
    sqlite3_bind_int64(custom, 1, txn.now_ms());
    ARCANA_RETURN_IF_ERROR(Step(c, custom, "record wipe"));
    return c.Exec(
        "DELETE FROM event_rule_tags; DELETE FROM event_targets; DELETE FROM event_rules; "
        "DELETE FROM event_bus_tags; DELETE FROM event_buses; DELETE FROM event_bus_policies;");
  });
}

}  // namespace arcana::storage::sqlite
