// When a scheduled rule runs: the next run time of a well-formed ScheduleExpression
// (domain/events/schedule_expression.h decides what is well-formed), as EventBridge runs them:
//   rate(N unit)  every N minutes, hours or days, counted from when the rule was created
//                 (AWS: "the schedule starts when you create the rule"), so a node that
//                 runs it late does not shift the runs after it;
//   cron(...)     the first whole minute, in UTC, strictly after `after_ms` that every field
//                 matches: minutes, hours, day-of-month or day-of-week (whichever is not "?"),
//                 month, year; with lists, ranges (a range whose end is below its start wraps:
//                 FRI-MON), steps ("*/15", "10/20", "1-30/5"), and the L, W and # forms:
//                 day-of-month L (the month's last day), LW (its last weekday), <d>W (the
//                 weekday nearest day d, in the same month); day-of-week L (Saturday, the
//                 week's last day), <d>L (the month's last such weekday), <d>#<n> (its n-th).
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace arcana::domain::events {

// The first run strictly after after_ms (epoch ms) of the expression of a rule created at
// created_ms; nullopt when the expression is not well-formed or never runs again (a cron
// whose years are past, or a date that never occurs: "cron(0 0 30 2 ? *)"). Runs are whole
// minutes for cron and created_ms + k periods for rate.
std::optional<int64_t> NextScheduledRunMs(std::string_view expression, int64_t created_ms,
                                          int64_t after_ms);

}  // namespace arcana::domain::events
