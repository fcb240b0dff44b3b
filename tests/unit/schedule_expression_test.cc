// ScheduleExpression syntax as EventBridge accepts it (domain/events/schedule_expression.h).
#include <gtest/gtest.h>

#include "domain/events/schedule_expression.h"

namespace arcana::domain::events {
namespace {

TEST(ScheduleExpression, RateUnitsAgreeWithTheCount) {
  for (const char* ok : {"rate(1 minute)", "rate(1 hour)", "rate(1 day)", "rate(5 minutes)",
                         "rate(12 hours)", "rate(30 days)"}) {
    EXPECT_EQ(ParseScheduleExpression(ok), ScheduleKind::kRate) << ok;
  }
  // The expressions AWS answered "Parameter ScheduleExpression is not valid." (LocalStack's
  // AWS-validated test_put_rule_with_invalid_schedule).
  for (const char* bad : {"rate(10 seconds)", "rate(10 years)", "rate(1 minutes)",
                          "rate(1 hours)", "rate(1 days)", "rate(10 minute)", "rate(10 hour)",
                          "rate(10 day)", "rate()", "rate(10)", "rate(10 minutess)",
                          "rate(foo minutes)", "rate(0 minutes)", "rate(-10 minutes)",
                          "rate(10 MINUTES)", "rate( 10 minutes )", " rate(10 minutes)",
                          "rate(99999999999 minutes)", "", "daily"}) {
    EXPECT_FALSE(ParseScheduleExpression(bad).has_value()) << bad;
  }
}

TEST(ScheduleExpression, CronHasSixFields) {
  for (const char* ok : {"cron(0 10 * * ? *)", "cron(0 18 ? * MON-FRI *)",
                         "cron(0/15 * * * ? *)", "cron(0 8 1 * ? *)"}) {
    EXPECT_EQ(ParseScheduleExpression(ok), ScheduleKind::kCron) << ok;
  }
  for (const char* bad : {"cron(0 10 * * ?)", "cron(0  10 * * ? *)", "cron( 0 10 * * ? *)",
                          "cron(0 10 * * ? * *)", "cron(0 10 * * ? $)"}) {
    EXPECT_FALSE(ParseScheduleExpression(bad).has_value()) << bad;
  }
}

TEST(ScheduleExpression, CronFieldsAsEventBridgeDocumentsThem) {
  // Accepted by AWS (LocalStack's AWS-validated tests_put_rule_with_schedule_cron) and the
  // EventBridge guide's examples.
  for (const char* ok : {"cron(15 12 * * ? *)", "cron(0/10 * ? * MON-FRI *)",
                         "cron(0/5 8-17 ? * MON-FRI *)", "cron(0/30 20-23 ? * MON-FRI *)",
                         "cron(0/30 0-2 ? * MON-FRI *)", "cron(0 20 * * ? *)",
                         "cron(15 10 ? * 6L 2022-2023)", "cron(0 9 ? * 2#1 *)",
                         "cron(0 12 L * ? *)", "cron(0 12 15W * ? *)", "cron(0 12 LW * ? *)",
                         "cron(0,15,30,45 * ? JAN,jul sun *)", "cron(0 20 * * ? 2500)"}) {
    EXPECT_EQ(ParseScheduleExpression(ok), ScheduleKind::kCron) << ok;
  }
  for (const char* bad : {
           "cron(0 10 * * * *)",     // day-of-month and day-of-week both given
           "cron(0 10 ? * ? *)",     // neither given
           "cron(60 10 * * ? *)",    // minute out of range
           "cron(0 24 * * ? *)",     // hour out of range
           "cron(0 10 32 * ? *)",    // day out of range
           "cron(0 10 0 * ? *)",
           "cron(0 10 * 13 ? *)",    // month out of range
           "cron(0 10 * FOO ? *)",
           "cron(0 10 ? * 8 *)",     // day-of-week out of range
           "cron(0 10 ? * 2#6 *)",   // no sixth weekday of a month
           "cron(0 10 1#2 * ? *)",   // # is day-of-week's only
           "cron(0/0 10 * * ? *)",   // a zero step
           "cron(0- 10 * * ? *)", "cron(, 10 * * ? *)"}) {
    EXPECT_FALSE(ParseScheduleExpression(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace arcana::domain::events
