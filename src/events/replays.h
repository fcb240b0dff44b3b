// Replays (StartReplay) run as leased jobs (jobs/scheduler.h), one per replay,
// "events.replay:<account>:<region>:<replay name>", made due at once by StartReplay: so each
// replay runs on one node at a time, and one whose node died is taken over after its lease.
// A run (RunReplay):
//  - ends at once for a replay that no longer exists or has ended; a cancelled one
//    (CancelReplay wrote its storage::kReplayCancelDoc) becomes CANCELLED (ReplayEndTime: now);
//  - marks it RUNNING, then reads its archive's events whose time is in [EventStartTime,
//    EventEndTime), in the order they were archived, a page at a time, and publishes each on
//    the destination bus (events/event_bus.h) with "replay-name" added, as replayed (no
//    archive keeps it again) and, with FilterArns, for those rules only; before each page it
//    waits until its account's share of the bus's queue is at most half full (the bus drops
//    what exceeds it) and the whole queue has room for the page;
//  - after each page waits until its events are routed and their deliveries stored (its own
//    account's lane alone: another account's backlog does not hold it up) and, none of them
//    dropped, stores its progress (the last event's sequence number and time), and
//    looks for a cancellation (it stops: CANCELLED); a run that must stop (the
//    node is stopping, or its lease is lost) is rescheduled and the next run goes on from the
//    progress stored, so an event may be replayed twice but none is skipped;
//  - ends COMPLETED with EventLastReplayedTime (the last event's time, when any) and
//    ReplayEndTime.
// Thread-safety: pure functions, and a handler the scheduler runs.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"
#include "events/event_bus.h"
#include "jobs/scheduler.h"
#include "storage/event_rule_store.h"

namespace arcana::events {

inline constexpr const char* kReplayJobPrefix = "events.replay:";

std::string ReplayJobName(const std::string& account, const std::string& region,
                          const std::string& replay_name);

// One run of a replay's job (see above). Errors: the store's (the job is retried).
Status RunReplay(jobs::JobRun& run, storage::EventRuleStore& store, EventBus& bus);

}  // namespace arcana::events
