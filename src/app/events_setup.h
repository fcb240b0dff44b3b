// arcanad's event bus (events/event_bus.h) from the store and the configuration: rules from
// the store, deliveries kept in the store (events/delivery.h) with dead letters also in
// <data-dir>/events/, detections that look up secret versions and count denials in the
// store. Added to the audit trail as a sink, so it sees every record this node writes.
//
// Its leased jobs (jobs/scheduler.h; one run per due time across every node):
//   events.deliveries  every 5 s   claims deliveries nobody holds (their node died, stopped
//                                  or had no room) and attempts them on this node; warns
//                                  while the store's pending deliveries are at the cap
//   events.trim        every hour  dead-lettered deliveries older than 14 days, and beyond
//                                  the newest 10000, are deleted; stale denial counters too
//   events.schedule:*  per rule    a scheduled rule's runs (events/scheduled_rules.h)
//   events.replay:*    per replay  a replay's run (events/replays.h)
//   events.archives.trim  hourly   archived events past their archive's retention deleted
#pragma once

#include "audit/audit_trail.h"
#include "config/config.h"
#include "events/event_bus.h"
#include "jobs/scheduler.h"
#include "storage/stores.h"

namespace arcana::app {

inline constexpr size_t kMaxPendingDeliveries = 100'000;
inline constexpr size_t kKeptDeadLetters = 10'000;
inline constexpr int64_t kDeadLetterRetentionMs = 14LL * 24 * 3600 * 1000;

struct EventBusParts {
  events::EventBus* bus = nullptr;           // owned by the trail
  events::Deliverer* deliverer = nullptr;    // owned by the bus
};

// The bus (owned by trail) for publishers outside the audit path (rotation outcome events:
// events::RotationOutcomeEvent), and its deliverer for RegisterEventJobs. node: this node's
// name (app/audit_setup.h: AuditNodeName), unique among the nodes of one store.
EventBusParts OpenEventBus(const config::Config& cfg, const std::string& node,
                           storage::Stores& stores, audit::AuditTrail& trail);

// The jobs above. Everything passed must outlive the scheduler's runs.
void RegisterEventJobs(jobs::Scheduler& scheduler, const EventBusParts& parts,
                       storage::EventDeliveryStore& store, storage::EventRuleStore& rules);

}  // namespace arcana::app
