// EventBridge-style event buses, rules and their targets, archives and replays
// (services/events), per account and region. See store_types.h for the shared contract.
// The default bus of every account and region exists without being created; custom buses
// are rows here (CreateBus / DeleteBus). A rule is stored under its key in the scope
// (RuleKey): its name on the default bus, "<bus>/<name>" on a custom bus (neither a rule name
// nor a custom bus name has a '/'), so every method that names a rule takes that key.
// Every write appends one Change (service "events", resource = the rule's or bus's ARN, kind =
// the operation) in its transaction, so every node's rule cache (events/rule_cache.h) drops
// the scope's rules on its next freshness check.
// Tags (TagResource, UntagResource, PutRule's Tags) belong to the rule: they go with it when
// it is deleted, so a rule created again under the same name starts without them. An event
// bus's tags are kept by the bus's name: a custom bus's go with it; the default bus of every
// account and region exists without being created and cannot be deleted (AWS: "Cannot delete
// event bus default."), so its tags stay until untagged.
// The store keeps documents as given: the event pattern and each target's JSON document are
// validated by the service before they reach it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "storage/store_types.h"

namespace arcana::storage {

inline constexpr const char* kDefaultEventBus = "default";

// The key of rule `name` of bus `bus` in its scope.
inline std::string RuleKey(const std::string& bus, const std::string& name) {
  return bus == kDefaultEventBus ? name : bus + "/" + name;
}

// The bus and the rule name of a rule key.
struct RuleKeyParts {
  std::string bus;
  std::string name;
};
inline RuleKeyParts SplitRuleKey(const std::string& key) {
  const size_t slash = key.find('/');
  if (slash == std::string::npos) return {kDefaultEventBus, key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

struct EventBusRecord {
  std::string name;  // [.-_A-Za-z0-9]{1,256}, unique in a scope, never "default"
  std::string arn;   // arn:aws:events:<region>:<account>:event-bus/<name>
  std::string description;
  int64_t created_ms = 0;
  int64_t modified_ms = 0;
  std::string policy;  // its resource-based policy (PutPermission); "" when it has none
};

struct EventRuleRecord {
  std::string name;           // the rule's key (RuleKey), unique in a scope
  std::string arn;            // arn:aws:events:<region>:<account>:rule/[<bus>/]<name>
  std::string event_pattern;  // the JSON pattern as given; "" for a rule run on a schedule only
  std::string state;          // "ENABLED" | "DISABLED"
  std::string description;
  int64_t created_ms = 0;
  // rate(...) or cron(...) as given ("" for a rule of events only); only default-bus rules
  // have one (services/events). Their runs are leased jobs (events/scheduled_rules.h).
  std::string schedule_expression;
  // The IAM role the rule is associated with (PutRule's RoleArn, "" when none): kept and
  // answered as given; deliveries use each target's own RoleArn.
  std::string role_arn;
};

// One event an archive keeps (seq: its order of arrival, unique in the store).
struct ArchivedEvent {
  int64_t seq = 0;
  int64_t time_ms = 0;  // the event's "time"
  std::string json;
};

struct ArchiveStats {
  int64_t event_count = 0;
  int64_t size_bytes = 0;  // of the events' JSON texts
};

inline constexpr const char* kArchiveDoc = "archive";
inline constexpr const char* kReplayDoc = "replay";
// A replay's cancellation (CancelReplay), under the replay's name: a document of its own, so
// the replay's runner, which rewrites the replay's document as it goes, never overwrites it.
inline constexpr const char* kReplayCancelDoc = "replay-cancel";

struct EventTagRecord {
  std::string key;    // 1-128 characters, unique per rule
  std::string value;  // 0-256 characters
};

struct EventTargetRecord {
  std::string id;        // unique per rule
  std::string document;  // the target as the service encodes it (JSON)
};

class EventRuleStore {
 public:
  virtual ~EventRuleStore() = default;
  // Creates a custom bus with its tags. kResourceExists when the scope has a bus of that
  // name; kLimitExceeded when it already has max_buses custom buses. One change,
  // "CreateEventBus", whose resource is the bus's ARN.
  virtual Status CreateBus(const Scope& scope, const EventBusRecord& bus, size_t max_buses,
                           const std::vector<EventTagRecord>& tags) = 0;
  virtual Result<std::optional<EventBusRecord>> GetBus(const Scope& scope,
                                                       const std::string& name) = 0;
  // Custom buses whose name starts with name_prefix, ordered by name, after after_name, at
  // most limit.
  virtual Result<std::vector<EventBusRecord>> ListBuses(const Scope& scope,
                                                        const std::string& name_prefix,
                                                        const std::string& after_name,
                                                        size_t limit) = 0;
  // Sets a custom bus's description (and modified_ms). kResourceNotFound when absent. One
  // change, "UpdateEventBus".
  virtual Status UpdateBus(const Scope& scope, const std::string& name,
                           const std::string& description, int64_t modified_ms) = 0;
  // Deletes a custom bus, its tags and its policy. kResourceNotFound when absent;
  // kPreconditionNotMet while a rule of the bus remains. One change, "DeleteEventBus".
  virtual Status DeleteBus(const Scope& scope, const std::string& name) = 0;
  // The resource-based policy of a bus (the default bus's too); "" when it has none.
  virtual Result<std::string> GetBusPolicy(const Scope& scope, const std::string& bus) = 0;
  // Replaces a bus's policy with edit(current) ("" when it has none; an answer of "" removes
  // it), read and written in one write, so that edits on any nodes apply one after the
  // other. kResourceNotFound for a custom bus that does not exist; edit's error is returned
  // and nothing is written. One change, `kind` ("PutPermission", "RemovePermission"), whose
  // resource is the bus's ARN.
  using PolicyEdit = std::function<Result<std::string>(const std::string& current)>;
  virtual Status EditBusPolicy(const Scope& scope, const std::string& bus, const std::string& kind,
                               const PolicyEdit& edit) = 0;

  // Creates the rule, or replaces its pattern, schedule, state and description (created_ms and arn of
  // an existing rule are kept). A rule of a custom bus (key "<bus>/<name>") needs the bus:
  // kResourceNotFound when it does not exist (checked in the write). Creating one beyond
  // max_rules rules on its bus is kLimitExceeded. tags are the new rule's tags; they are
  // ignored when the rule exists, as AWS ignores PutRule's Tags on an update (its tags change
  // by TagRule/UntagRule only).
  virtual Status PutRule(const Scope& scope, const EventRuleRecord& rule, size_t max_rules,
                         const std::vector<EventTagRecord>& tags) = 0;
  virtual Result<std::optional<EventRuleRecord>> GetRule(const Scope& scope,
                                                         const std::string& name) = 0;
  // Rules whose key starts with key_prefix, ordered by key, after after_key ("" = from the
  // start), at most limit. default_bus_only: only the default bus's (keys without '/').
  virtual Result<std::vector<EventRuleRecord>> ListRules(const Scope& scope,
                                                         const std::string& key_prefix,
                                                         const std::string& after_key,
                                                         size_t limit,
                                                         bool default_bus_only) = 0;
  // kResourceNotFound when absent; kPreconditionNotMet while the rule has targets.
  virtual Status DeleteRule(const Scope& scope, const std::string& name) = 0;
  // state: "ENABLED" | "DISABLED". kResourceNotFound when absent.
  virtual Status SetRuleState(const Scope& scope, const std::string& name,
                              const std::string& state) = 0;

  // Adds or replaces (by id) the targets of a rule. kResourceNotFound when the rule is
  // absent; kLimitExceeded when the rule would then hold more than max_targets (nothing is
  // applied).
  virtual Status PutTargets(const Scope& scope, const std::string& rule,
                            const std::vector<EventTargetRecord>& targets,
                            size_t max_targets) = 0;
  // Ordered by id, after after_id, at most limit. An absent rule has none.
  virtual Result<std::vector<EventTargetRecord>> ListTargets(const Scope& scope,
                                                             const std::string& rule,
                                                             const std::string& after_id,
                                                             size_t limit) = 0;
  // Removes the targets with these ids (ids that are absent are ignored). kResourceNotFound
  // when the rule is absent.
  virtual Status RemoveTargets(const Scope& scope, const std::string& rule,
                               const std::vector<std::string>& ids) = 0;
  // Adds the tags to the rule, replacing the value of a key it already has (a key given twice:
  // the last one wins). kResourceNotFound when the rule is absent; kLimitExceeded when the
  // rule would then hold more than max_tags (nothing is applied). One change, "TagResource".
  virtual Status TagRule(const Scope& scope, const std::string& rule,
                         const std::vector<EventTagRecord>& tags, size_t max_tags) = 0;
  // Removes the tags with these keys (keys the rule lacks are ignored). kResourceNotFound
  // when the rule is absent. One change, "UntagResource".
  virtual Status UntagRule(const Scope& scope, const std::string& rule,
                           const std::vector<std::string>& keys) = 0;
  // The rule's tags ordered by key; kResourceNotFound when the rule is absent.
  virtual Result<std::vector<EventTagRecord>> ListRuleTags(const Scope& scope,
                                                           const std::string& rule) = 0;
  // The tags of an event bus of the scope, by its name. TagBus and UntagBus of a custom bus are
  // kResourceNotFound when it does not exist (checked in the write). TagBus as TagRule
  // (kLimitExceeded beyond max_tags, nothing applied; a key given twice: the last wins). Each write
  // is one change ("TagResource", "UntagResource") whose resource is
  // arn:aws:events:<region>:<account>:event-bus/<bus>.
  virtual Status TagBus(const Scope& scope, const std::string& bus,
                        const std::vector<EventTagRecord>& tags, size_t max_tags) = 0;
  virtual Status UntagBus(const Scope& scope, const std::string& bus,
                          const std::vector<std::string>& keys) = 0;
  // Ordered by key; none when the bus was never tagged.
  virtual Result<std::vector<EventTagRecord>> ListBusTags(const Scope& scope,
                                                          const std::string& bus) = 0;

  // Archives and replays (domain/events/archive.h): documents of a kind (kArchiveDoc,
  // kReplayDoc) under a name unique per kind in the scope, written as the service encodes them.
  // Creates one; kResourceExists when the scope has one of that kind and name. One change,
  // `op`, whose resource is arn (archives are routed by every node's rule cache).
  virtual Status CreateEventDoc(const Scope& scope, const std::string& kind,
                                const std::string& name, const std::string& arn,
                                const std::string& document, const std::string& op) = 0;
  // Replaces one; kResourceNotFound when absent. One change, `op`.
  virtual Status UpdateEventDoc(const Scope& scope, const std::string& kind,
                                const std::string& name, const std::string& document,
                                const std::string& op) = 0;
  virtual Result<std::optional<std::string>> GetEventDoc(const Scope& scope,
                                                         const std::string& kind,
                                                         const std::string& name) = 0;
  // (name, document) of the kind whose names start with name_prefix, by name, after
  // after_name, at most limit.
  virtual Result<std::vector<std::pair<std::string, std::string>>> ListEventDocs(
      const Scope& scope, const std::string& kind, const std::string& name_prefix,
      const std::string& after_name, size_t limit) = 0;
  // Deletes one (an archive with its events); kResourceNotFound when absent. One change, `op`.
  virtual Status DeleteEventDoc(const Scope& scope, const std::string& kind,
                                const std::string& name, const std::string& op) = 0;
  // Keeps an event in an archive of the scope (none when the archive no longer exists),
  // deleted by TrimArchivedEvents once expires_ms has passed (0: never). No change row: no
  // cache depends on archived events.
  virtual Status ArchiveEvent(const Scope& scope, const std::string& archive, int64_t time_ms,
                              int64_t expires_ms, const std::string& json) = 0;
  // The counts of each of these archives of the scope, in one read (an archive with no event,
  // or none of that name, counts zero and may be absent from the map).
  virtual Result<std::map<std::string, ArchiveStats>> ArchiveStatsOf(
      const Scope& scope, const std::vector<std::string>& archives) = 0;
  Result<ArchiveStats> ArchiveStatsOf(const Scope& scope, const std::string& archive) {
    ARCANA_ASSIGN_OR_RETURN(auto stats, ArchiveStatsOf(scope, std::vector<std::string>{archive}));
    auto it = stats.find(archive);
    return it == stats.end() ? ArchiveStats{} : it->second;
  }
  // The archive's events whose time is in [from_ms, to_ms), by seq, after after_seq, at most
  // limit.
  virtual Result<std::vector<ArchivedEvent>> ListArchivedEvents(const Scope& scope,
                                                                const std::string& archive,
                                                                int64_t from_ms, int64_t to_ms,
                                                                int64_t after_seq,
                                                                size_t limit) = 0;
  // A new retention for the archive's events: each expires retention_ms after its time (0:
  // never).
  virtual Status SetArchiveRetention(const Scope& scope, const std::string& archive,
                                     int64_t retention_ms) = 0;
  // Deletes the archived events (of every scope) expired at now_ms; returns how many.
  virtual Result<size_t> TrimArchivedEvents(int64_t now_ms) = 0;

  // Dev-mode reset: every custom bus, rule, target and tag (of rules and buses), archive,
  // archived event and replay of every scope.
  virtual Status WipeEventRules() = 0;
};

}  // namespace arcana::storage
