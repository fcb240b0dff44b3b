// The syntax of a rule's ScheduleExpression as EventBridge accepts it:
//   rate(N unit)  N a positive decimal integer; unit "minute", "hour" or "day" when N is 1 and
//                 "minutes", "hours" or "days" otherwise; lower case, one space, nothing else
//                 (AWS refuses "rate(1 minutes)", "rate(10 MINUTES)", " rate(10 minutes)").
//   cron(F F F F F F)  six space-separated fields (minutes hours day-of-month month
//                 day-of-week year) as EventBridge documents them: values in range
//                 (0-59, 0-23, 1-31, 1-12 or JAN-DEC, 1-7 or SUN-SAT, four digits), lists,
//                 ranges, /steps, L, W and #, and exactly one of day-of-month and day-of-week
//                 "?".
// Only the syntax (an expression AWS would refuse is refused with AWS's answer); when a
// well-formed one runs is domain/events/schedule_times.h.
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string_view>

namespace arcana::domain::events {

enum class ScheduleKind { kRate, kCron };

// The kind of a well-formed expression; nullopt when EventBridge would refuse it.
std::optional<ScheduleKind> ParseScheduleExpression(std::string_view expression);

}  // namespace arcana::domain::events
