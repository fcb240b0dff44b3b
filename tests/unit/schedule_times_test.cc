// When a scheduled rule runs (domain/events/schedule_times.h): rates counted from the rule's
// creation, and each cron form the EventBridge guide documents, checked against dates worked
// out by hand (and Python's calendar).
#include "domain/events/schedule_times.h"

#include <gtest/gtest.h>

#include "common/civil_time.h"

namespace arcana::domain::events {
namespace {

int64_t Ms(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return EpochSecondsUtc(y, mo, d, h, mi, s) * 1000;
}

std::optional<int64_t> Next(const char* expression, int64_t after_ms) {
  return NextScheduledRunMs(expression, 0, after_ms);
}

TEST(ScheduleTimes, RatesCountFromTheRulesCreation) {
  const int64_t created = Ms(2026, 12, 6, 11, 0, 30);
  EXPECT_EQ(NextScheduledRunMs("rate(5 minutes)", created, created), created + 300'000);
  EXPECT_EQ(NextScheduledRunMs("rate(5 minutes)", created, created + 299'999), created + 300'000);
  EXPECT_EQ(NextScheduledRunMs("rate(5 minutes)", created, created + 300'000), created + 600'000);
  // Late by several periods: the next step after now, missed ones are not made up.
  EXPECT_EQ(NextScheduledRunMs("rate(5 minutes)", created, created + 1'234'567),
            created + 1'500'000);
  EXPECT_EQ(NextScheduledRunMs("rate(1 minute)", created, created - 5), created + 60'000);
  EXPECT_EQ(NextScheduledRunMs("rate(1 hour)", created, created), created + 3'600'000);
  EXPECT_EQ(NextScheduledRunMs("rate(2 days)", created, created), created + 172'800'000);
  // The largest rate AWS takes does not overflow.
  EXPECT_EQ(NextScheduledRunMs("rate(999999999 days)", created, created),
            created + 999'999'999LL * 86'400'000);
}

TEST(ScheduleTimes, CronFieldsListsRangesAndSteps) {
  const int64_t sunday = Ms(2026, 12, 6, 11, 7, 30);  // Sunday 6 December 2026
  EXPECT_EQ(Next("cron(0 10 * * ? *)", sunday), Ms(2026, 12, 7, 10, 0));
  EXPECT_EQ(Next("cron(15 12 * * ? *)", sunday), Ms(2026, 12, 6, 12, 15));
  EXPECT_EQ(Next("cron(0/15 * * * ? *)", sunday), Ms(2026, 12, 6, 11, 15));
  EXPECT_EQ(Next("cron(10/20 * * * ? *)", sunday), Ms(2026, 12, 6, 11, 10));
  EXPECT_EQ(Next("cron(1-30/5 * * * ? *)", sunday), Ms(2026, 12, 6, 11, 11));
  EXPECT_EQ(Next("cron(5,50 * * * ? *)", sunday), Ms(2026, 12, 6, 11, 50));
  EXPECT_EQ(Next("cron(* * * * ? *)", sunday), Ms(2026, 12, 6, 11, 8));
  // Strictly after: a run at the given minute is not the next one.
  EXPECT_EQ(Next("cron(* * * * ? *)", Ms(2026, 12, 6, 11, 8)), Ms(2026, 12, 6, 11, 9));
  EXPECT_EQ(Next("cron(0 18 ? * MON-FRI *)", sunday), Ms(2026, 12, 7, 18, 0));
  EXPECT_EQ(Next("cron(0/5 8-17 ? * MON-FRI *)", Ms(2026, 12, 4, 17, 58)),  // a Friday
            Ms(2026, 12, 7, 8, 0));
  EXPECT_EQ(Next("cron(0 8 1 * ? *)", sunday), Ms(2027, 1, 1, 8, 0));
  EXPECT_EQ(Next("cron(0 0 ? * 1 *)", Ms(2026, 12, 6, 0, 0)), Ms(2026, 12, 13, 0, 0));  // SUN=1
  EXPECT_EQ(Next("cron(0 0 ? * sat *)", sunday), Ms(2026, 12, 12, 0, 0));
  // A range past the week's end wraps: FRI-MON is Friday to Monday.
  EXPECT_EQ(Next("cron(0 9 ? * FRI-MON *)", Ms(2026, 12, 8, 12, 0)), Ms(2026, 12, 11, 9, 0));
  EXPECT_EQ(Next("cron(0 9 ? * FRI-MON *)", sunday), Ms(2026, 12, 7, 9, 0));
  EXPECT_EQ(Next("cron(0 0 1 JAN-MAR ? *)", sunday), Ms(2027, 1, 1, 0, 0));
  EXPECT_EQ(Next("cron(30 6 29 2 ? *)", sunday), Ms(2028, 2, 29, 6, 30));  // leap years only
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2030)", sunday), Ms(2030, 1, 1, 0, 0));
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2027-2029/2)", Ms(2027, 1, 1, 0, 0)), Ms(2029, 1, 1, 0, 0));
}

TEST(ScheduleTimes, CronLastWeekdayAndNthForms) {
  // Day-of-month L: the month's last day (February of a leap year too).
  EXPECT_EQ(Next("cron(0 0 L * ? *)", Ms(2027, 2, 10)), Ms(2027, 2, 28));
  EXPECT_EQ(Next("cron(0 0 L * ? *)", Ms(2028, 2, 10)), Ms(2028, 2, 29));
  // LW: the last weekday; 31 January 2027 is a Sunday, so Friday the 29th.
  EXPECT_EQ(Next("cron(0 0 LW * ? *)", Ms(2027, 1, 10)), Ms(2027, 1, 29));
  // 15W: 15 May 2027 is a Saturday, so Friday the 14th; 1W on Saturday 1 January 2028 moves
  // forward to Monday the 3rd (never into the month before).
  EXPECT_EQ(Next("cron(0 0 15W * ? *)", Ms(2027, 5, 1)), Ms(2027, 5, 14));
  EXPECT_EQ(Next("cron(0 0 1W * ? *)", Ms(2027, 12, 31)), Ms(2028, 1, 3));
  // A weekday as is.
  EXPECT_EQ(Next("cron(0 0 16W * ? *)", Ms(2026, 12, 6)), Ms(2026, 12, 16));
  // Day-of-week 6L: the month's last Friday; 2#1: its first Monday (7 December 2026, then
  // 4 January 2027); L alone: Saturday.
  EXPECT_EQ(Next("cron(0 0 ? * 6L *)", Ms(2026, 12, 6)), Ms(2026, 12, 25));
  EXPECT_EQ(Next("cron(0 0 ? * 2#1 *)", Ms(2026, 12, 6)), Ms(2026, 12, 7));
  EXPECT_EQ(Next("cron(0 0 ? * MON#1 *)", Ms(2026, 12, 8)), Ms(2027, 1, 4));
  EXPECT_EQ(Next("cron(0 0 ? * L *)", Ms(2026, 12, 6)), Ms(2026, 12, 12));
}

TEST(ScheduleTimes, NeverAgainOrNotWellFormed) {
  const int64_t now = Ms(2026, 12, 6, 11, 0);
  EXPECT_EQ(Next("cron(0 0 1 1 ? 2020)", now), std::nullopt);  // past years
  EXPECT_EQ(Next("cron(0 0 30 2 ? *)", now), std::nullopt);    // no 30 February
  EXPECT_EQ(Next("cron(0 0 31W 4 ? *)", now), std::nullopt);   // April has no 31st
  EXPECT_EQ(Next("cron(0 10 * * * *)", now), std::nullopt);    // both days given
  EXPECT_EQ(Next("rate(1 minutes)", now), std::nullopt);
  EXPECT_EQ(Next("at(2026-12-07T10:00:00)", now), std::nullopt);
  EXPECT_EQ(Next("", now), std::nullopt);
}

}  // namespace
}  // namespace arcana::domain::events
