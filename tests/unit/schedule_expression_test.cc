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

}  // namespace
}  // namespace arcana::domain::events
