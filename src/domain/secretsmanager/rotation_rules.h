// RotationRulesType (spec 2.6): validation and next-rotation-date computation.
//
// Contract:
//  - ValidateRotationRules (all failures kInvalidParameter):
//    * AutomaticallyAfterDays 1..1000; not together with ScheduleExpression.
//    * ScheduleExpression 1..256 chars of [0-9A-Za-z()#?*-/, ] and either
//      rate(N hour|hours|day|days) (hours: 4..24000, days: 1..1000) or
//      cron(Min Hour DoM Month DoW Year) with Min "0", Year "*", exactly one of DoM/DoW
//      "?", Hour 0-23 (`, - * /`), DoM 1-31 (`, - * ? / L W`: "nW" the
//      weekday nearest day n in its month, "LW" the month's last weekday), Month 1-12|JAN-DEC (`, - * /`),
//      DoW 1-7|SUN-SAT (1=SUN; `, - * ? / L # `, "nL" = last weekday n, "n#k" = k-th).
//      A cron that fires less than 4 hours apart, or never fires, is rejected.
//    * Duration ^[0-9]+h$, 1..24 hours, not longer than a rate(N hours) interval, and for
//      cron: not longer than the gap to the next firing hour and not past 24:00 UTC.
//    * Duration alone (no days, no schedule) is accepted; it has no effect.
//  - NextRotationDate (epoch seconds; -1 if the rules have no schedule, are invalid, or the
//    cron never fires within 8 years):
//    * AutomaticallyAfterDays N and rate(N days): the window is the UTC day containing
//      from + N days, starting 00:00; the result is the window's last second
//      (00:00 + Duration - 1s, or 23:59:59 without Duration) because AWS documents
//      NextRotationDate as the latest time rotation will happen and daily windows close at
//      the end of the UTC day. rate(N days) is treated exactly like AutomaticallyAfterDays
//      since AWS derives one from the other.
//    * rate(N hours): from + N*3600.
//    * cron: the first HH:00:00 UTC strictly after `from` that the expression matches
//      (the window start).
//  - DerivedAutomaticallyAfterDays: days -> days, rate(N days) -> N, otherwise nullopt.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/status.h"

namespace arcana::domain::sm {

struct RotationRules {
  std::optional<int64_t> automatically_after_days;
  std::optional<std::string> schedule_expression;
  std::optional<std::string> duration;
};

Status ValidateRotationRules(const RotationRules& rules);

int64_t NextRotationDate(const RotationRules& rules, int64_t from_epoch_seconds);

std::optional<int64_t> DerivedAutomaticallyAfterDays(const RotationRules& rules);

}  // namespace arcana::domain::sm
