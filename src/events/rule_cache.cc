#include "events/rule_cache.h"

#include <spdlog/spdlog.h>

#include "domain/events/archive.h"

namespace arcana::events {

RuleCache::RuleCache(storage::EventRuleStore& store, storage::ChangeFollower& follower)
    : store_(store), follower_(follower) {
  follower_.Subscribe({[this](const storage::Change& c) {
                         // A replay's document (its progress, saved every page) routes
                         // nothing: only rules, targets, buses and archives reload the set.
                         if (c.service != "events" ||
                             c.resource.find(":replay/") != std::string::npos) {
                           return;
                         }
                         std::lock_guard<std::mutex> l(mu_);
                         rules_.erase({c.account, c.region});
                         ++epoch_;
                       },
                       [this] {
                         std::lock_guard<std::mutex> l(mu_);
                         rules_.clear();
                         ++epoch_;
                       }});
}

Result<std::shared_ptr<const RuleSet>> RuleCache::RulesOf(const std::string& account,
                                                          const std::string& region) {
  ARCANA_RETURN_IF_ERROR(follower_.Sync().status());
  uint64_t epoch;
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = rules_.find({account, region});
    if (it != rules_.end()) return it->second;
    epoch = epoch_;
  }
  ARCANA_ASSIGN_OR_RETURN(auto set, Load({account, region}));
  std::lock_guard<std::mutex> l(mu_);
  if (epoch == epoch_) rules_[{account, region}] = set;
  return set;
}

Result<std::shared_ptr<const RuleSet>> RuleCache::Load(const storage::Scope& scope) {
  auto set = std::make_shared<RuleSet>();
  std::string after;
  for (;;) {  // at most kMaxRulesPerBus rules per bus (services/events), of every bus
    ARCANA_ASSIGN_OR_RETURN(auto page,
                            store_.ListRules(scope, "", after, storage::kMaxListLimit, false));
    for (const auto& r : page) {
      // ENABLED and ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS both route; only the latter
      // takes read-only management events (EventBus::Route).
      if (r.state == "DISABLED") continue;
      std::optional<domain::events::EventPattern> pattern;
      if (!r.event_pattern.empty()) {  // "": a rule run on a schedule only
        auto parsed = domain::events::EventPattern::Parse(r.event_pattern);
        if (!parsed.ok()) {
          spdlog::warn("events: rule {} has an invalid stored pattern: {}", r.arn,
                       parsed.status().message());
          continue;
        }
        pattern = std::move(*parsed);
      }
      ARCANA_ASSIGN_OR_RETURN(auto targets, store_.ListTargets(scope, r.name, "", storage::kMaxListLimit));
      if (targets.empty()) continue;
      storage::RuleKeyParts key = storage::SplitRuleKey(r.name);
      CompiledRule rule{std::move(key.name), r.arn, std::move(pattern), {},
                        r.state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS",
                        std::move(key.bus)};
      for (const auto& t : targets) {
        ARCANA_ASSIGN_OR_RETURN(auto target, domain::events::DecodeTarget(t.document));
        rule.targets.push_back(std::move(target));
      }
      set->push_back(std::move(rule));
    }
    if (page.size() < storage::kMaxListLimit) break;
    after = page.back().name;
  }
  ARCANA_RETURN_IF_ERROR(LoadArchives(scope, *set));
  return std::shared_ptr<const RuleSet>(std::move(set));
}

Status RuleCache::LoadArchives(const storage::Scope& scope, RuleSet& set) {
  std::string after;
  for (;;) {
    ARCANA_ASSIGN_OR_RETURN(auto page, store_.ListEventDocs(scope, storage::kArchiveDoc, "",
                                                            after, storage::kMaxListLimit));
    for (const auto& [name, document] : page) {
      auto archive = domain::events::DecodeArchive(document);
      if (!archive.ok()) {
        spdlog::warn("events: archive {} is unreadable: {}", name, archive.status().message());
        continue;
      }
      if (archive->state != "ENABLED") continue;
      CompiledRule rule;
      rule.name = archive->name;
      rule.arn = archive->arn;
      if (!archive->event_pattern.empty()) {
        auto parsed = domain::events::EventPattern::Parse(archive->event_pattern);
        if (!parsed.ok()) {
          spdlog::warn("events: archive {} has an invalid stored pattern: {}", archive->arn,
                       parsed.status().message());
          continue;
        }
        rule.pattern = std::move(*parsed);
      }
      rule.bus = archive->bus;
      rule.archive = archive->name;
      rule.archive_retention_ms = domain::events::RetentionMs(archive->retention_days);
      set.push_back(std::move(rule));
    }
    if (page.size() < storage::kMaxListLimit) return Status::Ok();
    after = page.back().first;
  }
}

}  // namespace arcana::events
