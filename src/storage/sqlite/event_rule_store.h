// The SQLite EventRuleStore (storage/event_rule_store.h): tables event_buses,
// event_bus_policies, event_rules, event_targets, event_rule_tags and event_bus_tags, and
// event_docs and event_archive_events for archives and replays (component "events").
#pragma once

#include "storage/event_rule_store.h"
#include "storage/sqlite/database.h"

namespace arcana::storage::sqlite {

class SqliteEventRuleStore : public EventRuleStore {
 public:
  explicit SqliteEventRuleStore(Database& db) : db_(db) {}
  static Migrations Schema();

  Status CreateBus(const Scope& scope, const EventBusRecord& bus, size_t max_buses,
                   const std::vector<EventTagRecord>& tags) override;
  Result<std::optional<EventBusRecord>> GetBus(const Scope& scope,
                                               const std::string& name) override;
  Result<std::vector<EventBusRecord>> ListBuses(const Scope& scope,
                                                const std::string& name_prefix,
                                                const std::string& after_name,
                                                size_t limit) override;
  Status UpdateBus(const Scope& scope, const std::string& name, const std::string& description,
                   int64_t modified_ms) override;
  Status DeleteBus(const Scope& scope, const std::string& name) override;
  Result<std::string> GetBusPolicy(const Scope& scope, const std::string& bus) override;
  Status EditBusPolicy(const Scope& scope, const std::string& bus, const std::string& kind,
                       const PolicyEdit& edit) override;
  Status PutRule(const Scope& scope, const EventRuleRecord& rule, size_t max_rules,
                 const std::vector<EventTagRecord>& tags) override;
  Result<std::optional<EventRuleRecord>> GetRule(const Scope& scope,
                                                 const std::string& name) override;
  Result<std::vector<EventRuleRecord>> ListRules(const Scope& scope,
                                                 const std::string& key_prefix,
                                                 const std::string& after_key, size_t limit,
                                                 bool default_bus_only) override;
  Status DeleteRule(const Scope& scope, const std::string& name) override;
  Status SetRuleState(const Scope& scope, const std::string& name,
                      const std::string& state) override;
  Status PutTargets(const Scope& scope, const std::string& rule,
                    const std::vector<EventTargetRecord>& targets, size_t max_targets) override;
  Result<std::vector<EventTargetRecord>> ListTargets(const Scope& scope, const std::string& rule,
                                                     const std::string& after_id,
                                                     size_t limit) override;
  Status RemoveTargets(const Scope& scope, const std::string& rule,
                       const std::vector<std::string>& ids) override;
  Status TagRule(const Scope& scope, const std::string& rule,
                 const std::vector<EventTagRecord>& tags, size_t max_tags) override;
  Status UntagRule(const Scope& scope, const std::string& rule,
                   const std::vector<std::string>& keys) override;
  Result<std::vector<EventTagRecord>> ListRuleTags(const Scope& scope,
                                                   const std::string& rule) override;
  Status TagBus(const Scope& scope, const std::string& bus,
                const std::vector<EventTagRecord>& tags, size_t max_tags) override;
  Status UntagBus(const Scope& scope, const std::string& bus,
                  const std::vector<std::string>& keys) override;
  Result<std::vector<EventTagRecord>> ListBusTags(const Scope& scope,
                                                  const std::string& bus) override;
  // Archives and replays: event_archive_store.cc.
  Status CreateEventDoc(const Scope& scope, const std::string& kind, const std::string& name,
                        const std::string& arn, const std::string& document,
                        const std::string& op) override;
  Status UpdateEventDoc(const Scope& scope, const std::string& kind, const std::string& name,
                        const std::string& document, const std::string& op) override;
  Result<std::optional<std::string>> GetEventDoc(const Scope& scope, const std::string& kind,
                                                 const std::string& name) override;
  Result<std::vector<std::pair<std::string, std::string>>> ListEventDocs(
      const Scope& scope, const std::string& kind, const std::string& name_prefix,
      const std::string& after_name, size_t limit) override;
  Status DeleteEventDoc(const Scope& scope, const std::string& kind, const std::string& name,
                        const std::string& op) override;
  Status ArchiveEvent(const Scope& scope, const std::string& archive, int64_t time_ms,
                      int64_t expires_ms, const std::string& json) override;
  using EventRuleStore::ArchiveStatsOf;
  Result<std::map<std::string, ArchiveStats>> ArchiveStatsOf(
      const Scope& scope, const std::vector<std::string>& archives) override;
  Result<std::vector<ArchivedEvent>> ListArchivedEvents(const Scope& scope,
                                                        const std::string& archive,
                                                        int64_t from_ms, int64_t to_ms,
                                                        int64_t after_seq,
                                                        size_t limit) override;
  Status SetArchiveRetention(const Scope& scope, const std::string& archive,
                             int64_t retention_ms) override;
  Result<size_t> TrimArchivedEvents(int64_t now_ms) override;
  Status WipeEventRules() override;

 private:
  Database& db_;
};

}  // namespace arcana::storage::sqlite
