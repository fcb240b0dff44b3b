#include "events/scheduled_rules.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "domain/events/schedule_times.h"
#include "events/event_envelope.h"

namespace arcana::events {

std::string ScheduleJobName(const std::string& account, const std::string& region,
                            const std::string& rule_name) {
  return std::string(kScheduleJobPrefix) + account + ":" + region + ":" + rule_name;
}

std::optional<ScopedJobRef> ParseScopedJobName(std::string_view prefix,
                                               const std::string& job_name) {
  if (!job_name.starts_with(prefix)) return std::nullopt;
  const size_t a = prefix.size();
  const size_t b = job_name.find(':', a);
  if (b == std::string::npos) return std::nullopt;
  const size_t c = job_name.find(':', b + 1);
  if (c == std::string::npos || c + 1 >= job_name.size()) return std::nullopt;
  ScopedJobRef ref;
  ref.scope.account = job_name.substr(a, b - a);
  ref.scope.region = job_name.substr(b + 1, c - b - 1);
  ref.name = job_name.substr(c + 1);
  return ref;
}

Status RunScheduledRule(jobs::JobRun& run, storage::EventRuleStore& rules, EventBus& bus) {
  auto ref = ParseScopedJobName(kScheduleJobPrefix, run.job.name);
  if (!ref) return Status::Ok();  // not a rule's job: ends
  ARCANA_ASSIGN_OR_RETURN(auto rule, rules.GetRule(ref->scope, ref->name));
  if (!rule || rule->schedule_expression.empty()) return Status::Ok();  // deleted: the job ends
  if (rule->state != "DISABLED") {
    // Routed by ARN to the rule's targets (an enabled rule without targets gets nothing).
    bus.Publish(ScheduledRuleEvent(ref->scope.account, ref->scope.region, rule->arn,
                                   run.job.due_ms));
  }
  auto next = domain::events::NextScheduledRunMs(rule->schedule_expression, rule->created_ms,
                                                 std::max(run.now_ms, run.job.due_ms));
  if (next) {
    run.reschedule_at_ms = *next;
  } else {
    spdlog::info("events: scheduled rule {} ({}) will not run again", rule->arn,
                 rule->schedule_expression);
  }
  return Status::Ok();
}

}  // namespace arcana::events
