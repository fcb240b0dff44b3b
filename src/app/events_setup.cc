#include "app/events_setup.h"

#include <spdlog/spdlog.h>

#include "events/detections.h"
#include "events/replays.h"
#include "events/scheduled_rules.h"

namespace arcana::app {

using namespace std::chrono_literals;

EventBusParts OpenEventBus(const config::Config& cfg, const std::string& node,
                           storage::Stores& stores, audit::AuditTrail& trail) {
  storage::SecretStore& secrets = stores.secrets();
  auto stages = [&secrets](const std::string&, const std::string&, const std::string& arn,
                           const std::string& version_id)
      -> std::optional<std::vector<std::string>> {
    auto secret = secrets.GetSecretByArn(arn);
    if (!secret.ok() || !secret->has_value()) return std::nullopt;
    const auto* v = (*secret)->FindVersion(version_id);
    if (v == nullptr) return std::nullopt;
    return v->stages;
  };
  events::Deliverer::Options options;
  options.dead_letter_dir = cfg.data_dir + "/events";
  options.store = &stores.event_deliveries();
  options.node = node;
  options.max_pending = kMaxPendingDeliveries;
  auto deliverer = std::make_unique<events::Deliverer>(std::move(options));
  EventBusParts parts;
  parts.deliverer = deliverer.get();
  auto bus = std::make_unique<events::EventBus>(
      std::make_unique<events::RuleCache>(stores.event_rules(), stores.follower()),
      std::make_unique<events::Detector>(stages, &stores.event_deliveries()),
      std::move(deliverer), cfg.account_id);
  bus->ArchiveInto(&stores.event_rules());  // archives keep what they match in the store
  parts.bus = bus.get();
  trail.AddSink(std::move(bus));
  return parts;
}

void RegisterEventJobs(jobs::Scheduler& scheduler, const EventBusParts& parts,
                       storage::EventDeliveryStore& store, storage::EventRuleStore& rules) {
  events::Deliverer& deliverer = *parts.deliverer;
  events::EventBus& bus = *parts.bus;
  scheduler.OnPrefix(events::kScheduleJobPrefix, std::nullopt,
                     [&rules, &bus](jobs::JobRun& run) -> Status {
                       return events::RunScheduledRule(run, rules, bus);
                     });
  // Replays run beside the loop's other jobs (a long one delays none of them).
  scheduler.OnPrefix(
      events::kReplayJobPrefix, std::nullopt,
      [&rules, &bus](jobs::JobRun& run) -> Status { return events::RunReplay(run, rules, bus); },
      2);
  scheduler.Every("events.archives.trim", 1h, [&rules](jobs::JobRun& run) -> Status {
    auto trimmed = rules.TrimArchivedEvents(run.now_ms);
    if (!trimmed.ok()) return trimmed.status();
    if (*trimmed > 0) spdlog::info("events: {} archived events past their retention deleted", *trimmed);
    return Status::Ok();
  });
  scheduler.Every("events.deliveries", 5s, [&deliverer, &store](jobs::JobRun&) -> Status {
    size_t claimed = deliverer.ClaimDue();
    if (claimed > 0) spdlog::info("events: {} pending deliveries claimed by this node", claimed);
    auto pending = store.CountPendingDeliveries(kMaxPendingDeliveries);
    if (!pending.ok()) return pending.status();
    if (*pending >= kMaxPendingDeliveries) {
      spdlog::warn("events: {} deliveries are pending (the cap): new ones are dead-lettered at "
                   "once until targets catch up (arcana events deliveries)",
                   kMaxPendingDeliveries);
    }
    return Status::Ok();
  });
  scheduler.Every("events.trim", 1h, [&store](jobs::JobRun& run) -> Status {
    auto dead = store.TrimDeliveries(run.now_ms - kDeadLetterRetentionMs, kKeptDeadLetters);
    if (!dead.ok()) return dead.status();
    if (*dead > 0) spdlog::info("events: {} old dead-lettered deliveries deleted", *dead);
    return store.TrimDenials(run.now_ms - events::kDeniedWindowMs - events::kDeniedBucketMs)
        .status();
  });
}

}  // namespace arcana::app
