// Scheduled rules (PutRule's ScheduleExpression) run as leased jobs (jobs/scheduler.h), one
// job per rule, so each run happens once across every node on the store:
//  - PutRule schedules the rule's job (ScheduleJobName) at its next run
//    (domain/events/schedule_times.h), replacing any earlier due time, BEFORE it commits the
//    rule: a crash between the two leaves a job that finds no schedule and ends, never a
//    scheduled rule without a job;
//  - each run (RunScheduledRule) reads the rule: gone, or without a schedule now, the job
//    ends (deleted); otherwise, unless the rule is DISABLED, the rule's "Scheduled Event"
//    (events/event_envelope.h: ScheduledRuleEvent, time = the run's due time) goes to its
//    targets through this node's event bus, and the job is due again at the next run after
//    both its due time and now (runs missed while no node ran are not made up, as on AWS).
// Latency: a node's scheduler sleeps at most its max_sleep (30 s) between passes; the node
// that served PutRule wakes its own at once, so a run is seldom late by more than that.
// Thread-safety: pure functions, and a handler the scheduler runs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/event_bus.h"
#include "jobs/scheduler.h"
#include "storage/event_rule_store.h"

namespace arcana::events {

inline constexpr const char* kScheduleJobPrefix = "events.schedule:";

// "events.schedule:<account>:<region>:<rule name>" (a scheduled rule is a default-bus rule,
// its key its name; none of the three parts has a ':').
std::string ScheduleJobName(const std::string& account, const std::string& region,
                            const std::string& rule_name);

// What a job name "<prefix><account>:<region>:<name>" names (a scheduled rule's job, a
// replay's: events/replays.h); nullopt when job_name is not of that shape.
struct ScopedJobRef {
  storage::Scope scope;
  std::string name;
};
std::optional<ScopedJobRef> ParseScopedJobName(std::string_view prefix,
                                               const std::string& job_name);

// One run of a scheduled rule's job (see above). Errors: the store's (the job is retried).
Status RunScheduledRule(jobs::JobRun& run, storage::EventRuleStore& rules, EventBus& bus);

}  // namespace arcana::events
