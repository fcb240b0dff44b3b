// This node's cache of the enabled rules (and their targets) and archives of each account and
// region, of every event bus, compiled once, exact on every node: it follows the change sequence (storage/
// change_follower.h) and drops a scope's rules on any "events" change of that scope.
// Lifetime: the follower keeps the subscription for as long as it lives, so a RuleCache is
// destroyed only at shutdown, once nothing calls the follower's Sync any more.
// Thread-safety: every method from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "domain/events/event_pattern.h"
#include "domain/events/target.h"
#include "storage/change_follower.h"
#include "storage/event_rule_store.h"

namespace arcana::events {

struct CompiledRule {
  std::string name;  // the rule's name (not its store key)
  std::string arn;
  // nullopt for a rule run on a schedule only: it matches no event, its scheduled events
  // are routed to it by ARN (Event::rule_arn).
  std::optional<domain::events::EventPattern> pattern;
  std::vector<domain::events::HttpTarget> targets;
  // State ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: also matches read-only management
  // events (Event::read_only_management); an ENABLED rule does not.
  bool all_management_events = false;
  std::string bus = storage::kDefaultEventBus;  // the event bus it is a rule of
  // Not a rule but an ENABLED archive of the bus (arn: the archive's): the events it matches
  // (all of the bus's without a pattern) are kept in it, each for archive_retention_ms (0:
  // for ever). It has no targets.
  std::string archive;
  int64_t archive_retention_ms = 0;
};
using RuleSet = std::vector<CompiledRule>;

class RuleCache {
 public:
  RuleCache(storage::EventRuleStore& store, storage::ChangeFollower& follower);
  // The enabled rules with at least one target, and the enabled archives. Errors: the
  // store's (unreachable).
  Result<std::shared_ptr<const RuleSet>> RulesOf(const std::string& account,
                                                 const std::string& region);

 private:
  Result<std::shared_ptr<const RuleSet>> Load(const storage::Scope& scope);
  // Appends the scope's enabled archives to set.
  Status LoadArchives(const storage::Scope& scope, RuleSet& set);

  storage::EventRuleStore& store_;
  storage::ChangeFollower& follower_;
  std::mutex mu_;
  uint64_t epoch_ = 0;  // bumped by every erase (the follower's cache protocol)
  std::map<std::pair<std::string, std::string>, std::shared_ptr<const RuleSet>> rules_;
};

}  // namespace arcana::events
