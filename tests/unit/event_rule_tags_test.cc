// domain/events/rule_tags.h: which ResourceARNs name a rule, and the tag rules.
#include "domain/events/rule_tags.h"

#include <gtest/gtest.h>

namespace arcana::domain::events {
namespace {

TEST(EventRuleTags, ARuleArnOfTheDefaultOrACustomBusIsTakenApart) {
  auto ref = ParseTaggedRuleArn("arn:aws:events:us-east-1:123456789012:rule/my.rule-1");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->partition, "aws");
  EXPECT_EQ(ref->region, "us-east-1");
  EXPECT_EQ(ref->account, "123456789012");
  EXPECT_EQ(ref->bus, "default");
  EXPECT_EQ(ref->name, "my.rule-1");
  auto custom = ParseTaggedRuleArn("arn:aws:events:eu-west-1:123456789012:rule/my-event-bus/r");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->bus, "my-event-bus");  // "event-bus" in a bus's name is still a rule ARN
  EXPECT_EQ(custom->name, "r");
}

TEST(EventRuleTags, OtherArnsAreRefusedAsEventBridgeRefusesThem) {
  auto code = [](const char* arn) { return ParseTaggedRuleArn(arn).status().code(); };
  for (const char* bad : {"", "rule/x", "arn:aws:events:us-east-1:123456789012",
                          "arn:aws:events:us-east-1:123456789012:", "arn::events:r:a:rule/x",
                          "arn:aws:events:us-east-1:123456789012:rule/",
                          "arn:aws:events:us-east-1:123456789012:rule/a/b/c",
                          "arn:aws:events:us-east-1:123456789012:rule//x",
                          "arn:aws:sqs:us-east-1:123456789012:q",
                          "arn:aws:events:us-east-1:123456789012:archive/a",
                          "arn:aws:events:us-east-1:123456789012:event-bus/default"}) {
    EXPECT_EQ(code(bad), ErrorCode::kValidation) << bad;
  }
  auto bus = ParseTaggedRuleArn("arn:aws:events:us-east-1:123456789012:event-bus/b");
  EXPECT_EQ(bus.status().code(), ErrorCode::kEventsResourceNotFound);
  EXPECT_EQ(bus.status().message(), "Event bus b does not exist.");
}

TEST(EventRuleTags, AwsKeysAreReservedInAnyCaseAndFiftyTagsAtMost) {
  EXPECT_TRUE(CheckTagKeysWritable({"team", "aws", "awsx:y", "x:aws:"}).ok());
  for (const char* key : {"aws:a", "AWS:a", "Aws:", "aWs:x"}) {
    EXPECT_EQ(CheckTagKeysWritable({"ok", key}).code(), ErrorCode::kValidation) << key;
  }
  EXPECT_TRUE(CheckTagCount(kMaxTagsPerRule).ok());
  EXPECT_EQ(CheckTagCount(kMaxTagsPerRule + 1).code(), ErrorCode::kValidation);
}

}  // namespace
}  // namespace arcana::domain::events
