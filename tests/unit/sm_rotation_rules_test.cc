#include "domain/secretsmanager/rotation_rules.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

constexpr int64_t kDay = 86400, kHour = 3600;
constexpr int64_t kJan1 = 1704067200;  // 2024-01-01T00:00:00Z, a Monday
constexpr int64_t kFrom = kJan1 + 10 * kHour;

RotationRules Sched(std::string expr, std::optional<std::string> dur = std::nullopt) {
  RotationRules r;
  r.schedule_expression = std::move(expr);
  r.duration = std::move(dur);
  return r;
}
RotationRules Days(int64_t d, std::optional<std::string> dur = std::nullopt) {
  RotationRules r;
  r.automatically_after_days = d;
  r.duration = std::move(dur);
  return r;
}
bool Valid(const RotationRules& r) { return ValidateRotationRules(r).ok(); }
// When the next window starts (-1: none); NextRotationDate is its last second.
int64_t Start(const RotationRules& r, int64_t from) {
  auto w = NextRotationWindow(r, from);
  return w ? w->start : -1;
}

TEST(SmRotationRules, ValidDaysAndRates) {
  EXPECT_TRUE(Valid(RotationRules{}));
  EXPECT_TRUE(Valid(Days(1)));
  EXPECT_TRUE(Valid(Days(1000)));
  EXPECT_TRUE(Valid(Days(30, "24h")));
  EXPECT_TRUE(Valid(Sched("rate(4 hours)")));
  EXPECT_TRUE(Valid(Sched("rate(1 day)")));
  EXPECT_TRUE(Valid(Sched("rate(10 days)", "3h")));
  EXPECT_TRUE(Valid(Sched("rate(4 hours)", "4h")));
}

TEST(SmRotationRules, InvalidDaysAndRates) {
  for (const auto& r : {Days(0), Days(1001), Sched("rate(3 hours)"), Sched("rate(1 hour)"),
                        Sched("rate(0 days)"), Sched("rate(1001 days)"), Sched("rate(5 minutes)"),
                        Sched("rate(days)"), Sched("rate(4 hours)", "5h"), Sched("every day"),
                        Sched(""), Sched(std::string(257, '*'))}) {
    Status st = ValidateRotationRules(r);
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter) << r.schedule_expression.value_or("-");
  }
  RotationRules both = Days(5);
  both.schedule_expression = "rate(5 days)";
  EXPECT_EQ(ValidateRotationRules(both).code(), ErrorCode::kInvalidParameter);
}

TEST(SmRotationRules, Durations) {
  for (std::string d : {"0h", "25h", "3", "h", "3m", "-1h"}) {
    EXPECT_FALSE(Valid(Days(1, d))) << d;
  }
  EXPECT_TRUE(Valid(Days(1, "1h")));
}

TEST(SmRotationRules, ValidCron) {
  for (std::string e : {"cron(0 8 * * ? *)", "cron(0 */4 * * ? *)", "cron(0 0,12 * * ? *)",
                        "cron(0 0 L * ? *)", "cron(0 0 1 JAN-MAR ? *)", "cron(0 0 ? * SUN-SAT *)",
                        "cron(0 4 ? * 2#3 *)", "cron(0 4 ? * 1L *)", "cron(0 4 ? * L *)",
                        "cron(0 0 1,15 */3 ? *)", "cron(0 0 29 2 ? *)", "cron(0 0,22 1 * ? *)",
                        "cron(0 10 ? * mon-fri *)", "cron(0 8-20/4 * * ? *)"}) {
    Status st = ValidateRotationRules(Sched(e));
    EXPECT_TRUE(st.ok()) << e << ": " << st.message();
  }
}

TEST(SmRotationRules, InvalidCron) {
  for (std::string e : {"cron(1 0 * * ? *)", "cron(0 0 * * ? 2024)", "cron(0 0 * * * *)",
                        "cron(0 0 ? * ? *)", "cron(0 0 1 13 ? *)", "cron(0 24 * * ? *)",
                        "cron(0 0 * * ?)", "cron(0 */3 * * ? *)", "cron(0 0,22 * * ? *)",
                        "cron(0 0 30 2 ? *)", "cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)",
                        "cron(0 0 ? * 2#6 *)", "cron(0 5-1 * * ? *)", "cron(0 0 * * ? *);",
                        "cron(0 0 1 FOO ? *)", "cron(0 0 */0 * ? *)"}) {
    EXPECT_EQ(ValidateRotationRules(Sched(e)).code(), ErrorCode::kInvalidParameter) << e;
  }
}

TEST(SmRotationRules, CronDurationWindow) {
  EXPECT_TRUE(Valid(Sched("cron(0 22 * * ? *)", "2h")));
  EXPECT_FALSE(Valid(Sched("cron(0 22 * * ? *)", "3h")));  // crosses into the next UTC day
  EXPECT_TRUE(Valid(Sched("cron(0 0,12 * * ? *)", "12h")));
  EXPECT_FALSE(Valid(Sched("cron(0 0,12 * * ? *)", "13h")));  // overlaps the next window
}

TEST(SmRotationRules, NextDateDays) {
  EXPECT_EQ(NextRotationDate(Days(1), kFrom), kJan1 + kDay + kDay - 1);
  EXPECT_EQ(NextRotationDate(Days(1, "3h"), kFrom), kJan1 + kDay + 3 * kHour - 1);
  EXPECT_EQ(NextRotationDate(Days(30), kFrom), kJan1 + 30 * kDay + kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("rate(10 days)"), kFrom), kJan1 + 10 * kDay + kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("rate(10 days)", "3h"), kFrom), kJan1 + 10 * kDay + 3 * kHour - 1);
  // The window is the whole UTC day, starting at midnight; the scheduled run is due then.
  EXPECT_EQ(Start(Days(1), kFrom), kJan1 + kDay);
  EXPECT_EQ(Start(Days(1, "3h"), kFrom), kJan1 + kDay);
  EXPECT_EQ(Start(Sched("rate(10 days)"), kFrom), kJan1 + 10 * kDay);
}

TEST(SmRotationRules, NextDateRateHours) {
  // Windows on the hour, every N hours from midnight UTC; the next after the one `from`
  // (10:00) falls in; one hour long unless Duration says otherwise; NextRotationDate is the
  // window's last second, as for days.
  EXPECT_EQ(Start(Sched("rate(6 hours)"), kFrom), kJan1 + 12 * kHour);  // [06:00, 12:00) -> 12:00
  EXPECT_EQ(NextRotationDate(Sched("rate(6 hours)"), kFrom), kJan1 + 13 * kHour - 1);
  EXPECT_EQ(Start(Sched("rate(4 hours)", "2h"), kFrom), kJan1 + 12 * kHour);
  EXPECT_EQ(NextRotationDate(Sched("rate(4 hours)", "2h"), kFrom), kJan1 + 14 * kHour - 1);
  EXPECT_EQ(NextRotationDate(Sched("rate(12 hours)"), kFrom), kJan1 + 13 * kHour - 1);
  EXPECT_EQ(NextRotationDate(Sched("rate(24 hours)"), kFrom), kJan1 + kDay + kHour - 1);
  // Not on the hour: the same windows.
  EXPECT_EQ(NextRotationDate(Sched("rate(12 hours)"), kFrom + 1234), kJan1 + 13 * kHour - 1);
  // From a window's start (a run that began on time): the next period's window.
  EXPECT_EQ(Start(Sched("rate(4 hours)"), kJan1 + 12 * kHour), kJan1 + 16 * kHour);
  EXPECT_EQ(Start(Sched("rate(4 hours)"), kJan1 + 12 * kHour + 59 * 60), kJan1 + 16 * kHour);
  // Across midnight.
  EXPECT_EQ(Start(Sched("rate(4 hours)"), kJan1 + 22 * kHour), kJan1 + kDay);
  // An N that does not divide 24 keeps N hours between windows (counted from
  // 1970-01-01T00:00Z): rate(5 hours) windows start 22:00, 03:00, 08:00, 13:00 around kJan1.
  EXPECT_EQ(Start(Sched("rate(5 hours)"), kFrom), kJan1 + 13 * kHour);
  EXPECT_EQ(Start(Sched("rate(5 hours)"), kJan1 + 13 * kHour), kJan1 + 18 * kHour);
  EXPECT_EQ(Start(Sched("rate(5 hours)"), kJan1 + 23 * kHour), kJan1 + kDay + 4 * kHour);
  // Long periods: rate(36 hours) windows start 36 h apart.
  EXPECT_EQ(Start(Sched("rate(36 hours)"), kFrom) % (36 * kHour), 0);
  EXPECT_GT(Start(Sched("rate(36 hours)"), kFrom), kFrom);
  EXPECT_LE(Start(Sched("rate(36 hours)"), kFrom), kFrom + 36 * kHour);
}

TEST(SmRotationRules, NextDateCronWindowEnd) {
  // A cron firing once a day is a schedule in days: the window closes at the end of the day;
  // one firing at several hours a day is a schedule in hours: it closes after one hour.
  EXPECT_EQ(NextRotationDate(Sched("cron(0 8 * * ? *)"), kFrom), kJan1 + 2 * kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 12 * * ? *)"), kFrom), kJan1 + kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 */4 * * ? *)"), kFrom), kJan1 + 13 * kHour - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 0,12 * * ? *)"), kJan1 + 12 * kHour), kJan1 + kDay + kHour - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 0 L * ? *)"), kFrom), kJan1 + 31 * kDay - 1);
  // Duration sets the window's length.
  EXPECT_EQ(NextRotationDate(Sched("cron(0 4 * * ? *)", "3h"), kFrom), kJan1 + kDay + 7 * kHour - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 22 * * ? *)", "2h"), kFrom), kJan1 + kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 0,12 * * ? *)", "12h"), kFrom), kJan1 + kDay - 1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 */4 * * ? *)", "4h"), kFrom), kJan1 + 16 * kHour - 1);
  EXPECT_EQ(Start(Sched("cron(0 4 * * ? *)", "3h"), kFrom), kJan1 + kDay + 4 * kHour);
}

TEST(SmRotationRules, NextDateCron) {
  EXPECT_EQ(Start(Sched("cron(0 8 * * ? *)"), kFrom), kJan1 + kDay + 8 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 12 * * ? *)"), kFrom), kJan1 + 12 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 */4 * * ? *)"), kFrom), kJan1 + 12 * kHour);
  // Strictly after `from`.
  EXPECT_EQ(Start(Sched("cron(0 0,12 * * ? *)"), kJan1 + 12 * kHour), kJan1 + kDay);
  EXPECT_EQ(Start(Sched("cron(0 0 L * ? *)"), kFrom), kJan1 + 30 * kDay);
  EXPECT_EQ(Start(Sched("cron(0 0 29 2 ? *)"), kFrom), 1709164800);
  EXPECT_EQ(Start(Sched("cron(0 0 L 2 ? *)"), kFrom), 1709164800);
  EXPECT_EQ(Start(Sched("cron(0 4 ? * MON *)"), kFrom), kJan1 + 7 * kDay + 4 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 4 ? * 2#3 *)"), kFrom), 1705276800 + 4 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 4 ? * 1L *)"), kFrom), kJan1 + 27 * kDay + 4 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 4 ? * L *)"), kFrom), kJan1 + 5 * kDay + 4 * kHour);
  EXPECT_EQ(Start(Sched("cron(0 0 1 */3 ? *)"), kFrom), kJan1 + 91 * kDay);
  EXPECT_EQ(Start(Sched("cron(0 9 ? * SAT,SUN *)"), kFrom), kJan1 + 5 * kDay + 9 * kHour);
}

TEST(SmRotationRules, NextDateCronNearestWorkday) {
  // 2024-01-06 is a Saturday: 6W is Friday the 5th; 7W (Sunday) is Monday the 8th.
  EXPECT_EQ(Start(Sched("cron(0 0 6W * ? *)"), kFrom), kJan1 + 4 * kDay);
  EXPECT_EQ(Start(Sched("cron(0 0 7W * ? *)"), kFrom), kJan1 + 7 * kDay);
  // A weekday is itself: 2024-01-10 is a Wednesday.
  EXPECT_EQ(Start(Sched("cron(0 0 10W * ? *)"), kFrom), kJan1 + 9 * kDay);
  // Never out of the month: 2024-06-01 is a Saturday, so 1W is Monday June 3rd
  // (not Friday May 31st); 2024-03-31 is a Sunday, so 31W is Friday March 29th.
  EXPECT_EQ(Start(Sched("cron(0 0 1W 6 ? *)"), kFrom), 1717372800);
  EXPECT_EQ(Start(Sched("cron(0 0 31W 3 ? *)"), kFrom), 1711670400);
  // LW: the last weekday; 2024-03-31 is a Sunday -> Friday the 29th.
  EXPECT_EQ(Start(Sched("cron(0 0 LW 3 ? *)"), kFrom), 1711670400);
  // 31W in a 30-day month never fires there: June has no 31st, the next is July 31st (a Wednesday).
  EXPECT_EQ(Start(Sched("cron(0 0 31W 6,7 ? *)"), kFrom), 1722384000);
  EXPECT_TRUE(Valid(Sched("cron(0 0 15W * ? *)")));
  EXPECT_FALSE(Valid(Sched("cron(0 0 32W * ? *)")));
  EXPECT_FALSE(Valid(Sched("cron(0 0 W * ? *)")));
}

TEST(SmRotationRules, NextDateNone) {
  EXPECT_EQ(NextRotationDate(RotationRules{}, kFrom), -1);
  EXPECT_FALSE(NextRotationWindow(RotationRules{}, kFrom).has_value());
  EXPECT_EQ(NextRotationDate(Sched("rate(1 hour)"), kFrom), -1);
  EXPECT_EQ(NextRotationDate(Sched("cron(0 0 30 2 ? *)"), kFrom), -1);
}

TEST(SmRotationRules, CountsFromLastRotation) {
  EXPECT_TRUE(CountsFromLastRotation(Days(30)));
  EXPECT_TRUE(CountsFromLastRotation(Sched("rate(10 days)")));
  EXPECT_TRUE(CountsFromLastRotation(Sched("rate(4 hours)")));
  EXPECT_FALSE(CountsFromLastRotation(Sched("cron(0 8 * * ? *)")));
  EXPECT_FALSE(CountsFromLastRotation(RotationRules{}));
}

TEST(SmRotationRules, DerivedDays) {
  EXPECT_EQ(DerivedAutomaticallyAfterDays(Days(30)), 30);
  EXPECT_EQ(DerivedAutomaticallyAfterDays(Sched("rate(10 days)")), 10);
  EXPECT_EQ(DerivedAutomaticallyAfterDays(Sched("rate(1 day)")), 1);
  EXPECT_EQ(DerivedAutomaticallyAfterDays(Sched("rate(12 hours)")), std::nullopt);
  EXPECT_EQ(DerivedAutomaticallyAfterDays(Sched("cron(0 8 * * ? *)")), std::nullopt);
  EXPECT_EQ(DerivedAutomaticallyAfterDays(RotationRules{}), std::nullopt);
}

}  // namespace
}  // namespace arcana::domain::sm
