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
//  - NextRotationWindow: the next rotation window counted from `from` (epoch seconds;
//    nullopt if the rules have no schedule, are invalid, or the cron never fires within 8
//    years). Every window starts on the hour ("Secrets Manager rotation windows always start
//    on the hour"); `end` is its last second: start + Duration - 1s, or without Duration AWS's
//    default, which closes the window after one hour for schedules in hours and at the end of
//    the UTC day (23:59:59) for schedules in days.
//    * AutomaticallyAfterDays N and rate(N days): the UTC day containing from + N days,
//      starting 00:00. rate(N days) is treated exactly like AutomaticallyAfterDays since AWS
//      derives one from the other.
//    * rate(N hours): windows start every N hours counted from 1970-01-01T00:00Z (so, when N
//      divides 24, at midnight and every N hours of each day); the next is the one after the
//      window period `from` falls in. Default length one hour.
//    * cron: starts at the first HH:00:00 UTC strictly after `from` that the expression
//      matches. A cron firing at more than one hour of the day is a schedule in hours
//      (default length one hour), otherwise one in days (default: to the end of the day).
//  - NextRotationDate: NextRotationWindow's end (DescribeSecret's NextRotationDate is "the
//    latest date that rotation will occur"), -1 when there is none.
//  - CountsFromLastRotation: AutomaticallyAfterDays and rate() count the next window from the
//    previous rotation (a manual PutSecretValue/UpdateSecret counts as one, AWS's
//    RotationRulesType); a cron schedule does not depend on when the secret last rotated.
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

// Epoch seconds, both inclusive.
struct RotationWindow {
  int64_t start = 0;
  int64_t end = 0;
};

std::optional<RotationWindow> NextRotationWindow(const RotationRules& rules,
                                                int64_t from_epoch_seconds);

int64_t NextRotationDate(const RotationRules& rules, int64_t from_epoch_seconds);

bool CountsFromLastRotation(const RotationRules& rules);

std::optional<int64_t> DerivedAutomaticallyAfterDays(const RotationRules& rules);

}  // namespace arcana::domain::sm
