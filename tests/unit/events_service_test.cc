// EventBridge's DescribeEventBus / ListEventBuses of the default bus: the EventBusNameOrArn
// pattern as AWS matches it, and the bus's creation time kept in the store's meta.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "common/json.h"
#include "services/events/events_service.h"
#include "storage/stores.h"
#include "temp_stores.h"

namespace arcana::services::events {
namespace {

TEST(EventBusNameOrArn, MatchesTheModelsPattern) {
  for (const char* ok : {"default", "a", "a/b.c-d_e", "/", "arn",
                         "arn:aws:events:us-east-1:123456789012:event-bus/default",
                         "arn:aws-cn:events:cn-north-1:123456789012:event-bus/x/y",
                         "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/b",
                         "arn:aws:events:il-central-1:123456789012:event-bus/b.c"}) {
    EXPECT_TRUE(EventBusNameOrArnMatches(ok)) << ok;
  }
  for (const char* bad : {"", "has space", "a:b", "caf\xc3\xa9",
                          "arn:aws:events:us-east-1:123456789012:event-bus/",
                          "arn:aws:events:us-east-1:12345678901:event-bus/default",
                          "arn:aws:events:us-east-1:1234567890123:event-bus/default",
                          "arn:aws:events:us-east-1:123456789012:rule/default",
                          "arn:aws:sqs:us-east-1:123456789012:event-bus/default",
                          "arn:aws:events:useast-1:123456789012:event-bus/default",
                          "arn:aws:events:US-east-1:123456789012:event-bus/default",
                          "arn:aws:events:us-east-:123456789012:event-bus/default",
                          "arn:aws:events:us-east-1:123456789012:event-bus/a:b",
                          "arn:azure:events:us-east-1:123456789012:event-bus/default",
                          "arn:aws:events:us-east-1:123456789012:event-bus/default "}) {
    EXPECT_FALSE(EventBusNameOrArnMatches(bad)) << bad;
  }
}

using arcana::testing::TempStores;

CallContext Ctx(const std::string& region, int64_t now_ms) {
  CallContext ctx;
  ctx.account = "123456789012";
  ctx.region = region;
  ctx.now_ms = now_ms;
  return ctx;  // no authorizer: nothing is checked
}

Result<std::string> Call(EventsService& svc, const char* op, const char* body,
                         const CallContext& ctx) {
  rapidjson::Document in;
  in.Parse(body);
  return svc.Call(op, in, ctx);
}

TEST(DefaultEventBus, CreationTimeIsItsFirstUseKeptPerAccountAndRegion) {
  TempStores stores;
  EventsService svc(stores->event_rules(), stores->meta());
  auto first = Call(svc, "DescribeEventBus", "{}", Ctx("us-east-1", 1700000000123));
  ASSERT_TRUE(first.ok()) << first.status().message();
  EXPECT_EQ(*first,
            R"({"Name":"default","Arn":"arn:aws:events:us-east-1:123456789012:event-bus/default",)"
            R"("CreationTime":1700000000.123,"LastModifiedTime":1700000000.123})");
  auto again = Call(svc, "DescribeEventBus", R"({"Name":"default"})",
                    Ctx("us-east-1", 1700000999000));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first);
  auto listed = Call(svc, "ListEventBuses", R"({"NamePrefix":"def"})",
                     Ctx("us-east-1", 1700000999000));
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, R"({"EventBuses":[)" + *first + "]}");
  EXPECT_EQ(*stores->meta().GetMeta(DefaultBusCreatedMetaKey("123456789012", "us-east-1")),
            "1700000000123");
  // Another region's default bus is its own, created by its own first use.
  auto west = Call(svc, "ListEventBuses", "{}", Ctx("us-west-2", 1700000500000));
  ASSERT_TRUE(west.ok());
  EXPECT_NE(west->find(R"("CreationTime":1700000500,)"), std::string::npos) << *west;
  // A prefix the default bus lacks lists none and stores nothing.
  auto none = Call(svc, "ListEventBuses", R"({"NamePrefix":"x"})", Ctx("eu-west-1", 1));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, R"({"EventBuses":[]})");
  EXPECT_FALSE(stores->meta().GetMeta(DefaultBusCreatedMetaKey("123456789012", "eu-west-1"))
                   ->has_value());
}

TEST(DefaultEventBus, AnotherNodesStoredTimeWinsAndAnUnreadableOneIsAnError) {
  TempStores stores;
  EventsService svc(stores->event_rules(), stores->meta());
  ASSERT_TRUE(stores->meta().PutMeta(DefaultBusCreatedMetaKey("123456789012", "us-east-1"),
                                     "1600000000000").ok());
  auto r = Call(svc, "DescribeEventBus", "{}", Ctx("us-east-1", 1700000000000));
  ASSERT_TRUE(r.ok());
  EXPECT_NE(r->find(R"("CreationTime":1600000000,"LastModifiedTime":1600000000)"),
            std::string::npos) << *r;
  ASSERT_TRUE(stores->meta().PutMeta(DefaultBusCreatedMetaKey("123456789012", "us-east-1"),
                                     "12x").ok());
  r = Call(svc, "DescribeEventBus", "{}", Ctx("us-east-1", 1700000000000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternalFailure);
}

TEST(DefaultEventBus, BusesThatWereNotCreatedDoNotExist) {
  TempStores stores;
  EventsService svc(stores->event_rules(), stores->meta());
  const CallContext ctx = Ctx("us-east-1", 1700000000000);
  for (const char* body :
       {R"({"Name":"custom"})",
        R"({"Name":"arn:aws:events:us-east-1:123456789012:event-bus/custom"})",
        R"({"Name":"arn:aws:events:us-east-1:210987654321:event-bus/default"})",
        R"({"Name":"arn:aws-cn:events:us-east-1:123456789012:event-bus/default"})"}) {
    auto r = Call(svc, "DescribeEventBus", body, ctx);
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_EQ(r.status().code(), ErrorCode::kEventsResourceNotFound) << body;
  }
  auto r = Call(svc, "DescribeEventBus", R"({"Name":"custom"})", ctx);
  EXPECT_EQ(r.status().message(), "Event bus custom does not exist.");
  r = Call(svc, "DescribeEventBus",
           R"({"Name":"arn:aws:events:eu-west-1:123456789012:event-bus/default"})", ctx);
  EXPECT_EQ(r.status().code(), ErrorCode::kValidation);
  EXPECT_EQ(r.status().message(), "Cross-region API call is not allowed.");
  auto ok = Call(svc, "DescribeEventBus",
                 R"({"Name":"arn:aws:events:us-east-1:123456789012:event-bus/default"})", ctx);
  EXPECT_TRUE(ok.ok());
}

}  // namespace
}  // namespace arcana::services::events
