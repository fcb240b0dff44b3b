// domain/events/rule_tags.h: which ResourceARNs name a rule or an event bus, and the tag rules.
#include "domain/events/rule_tags.h"

#include <gtest/gtest.h>

namespace arcana::domain::events {
namespace {

TEST(EventRuleTags, ARuleArnOfTheDefaultOrACustomBusIsTakenApart) {
  auto ref = ParseTaggedResourceArn("arn:aws:events:us-east-1:123456789012:rule/my.rule-1");
  ASSERT_TRUE(ref.ok());
  EXPECT_EQ(ref->kind, TaggedResourceRef::Kind::kRule);
  EXPECT_EQ(ref->partition, "aws");
  EXPECT_EQ(ref->region, "us-east-1");
  EXPECT_EQ(ref->account, "123456789012");
  EXPECT_EQ(ref->bus, "default");
  EXPECT_EQ(ref->name, "my.rule-1");
  auto custom = ParseTaggedResourceArn("arn:aws:events:eu-west-1:123456789012:rule/my-event-bus/r");
  ASSERT_TRUE(custom.ok());
  EXPECT_EQ(custom->bus, "my-event-bus");  // "event-bus" in a bus's name is still a rule ARN
  EXPECT_EQ(custom->name, "r");
}

TEST(EventRuleTags, OtherArnsAreRefusedAsEventBridgeRefusesThem) {
  auto code = [](const char* arn) { return ParseTaggedResourceArn(arn).status().code(); };
  for (const char* bad : {"", "rule/x", "arn:aws:events:us-east-1:123456789012",
                          "arn:aws:events:us-east-1:123456789012:", "arn::events:r:a:rule/x",
                          "arn:aws:events:us-east-1:123456789012:rule/",
                          "arn:aws:events:us-east-1:123456789012:rule/a/b/c",
                          "arn:aws:events:us-east-1:123456789012:rule//x",
                          "arn:aws:sqs:us-east-1:123456789012:q",
                          "arn:aws:events:us-east-1:123456789012:archive/a",
                          "arn:aws:events:us-east-1:123456789012:event-bus/"}) {
    EXPECT_EQ(code(bad), ErrorCode::kValidation) << bad;
  }
}

TEST(EventRuleTags, AnEventBusArnIsTakenApartWhateverTheBus) {
  auto bus = ParseTaggedResourceArn("arn:aws:events:eu-west-1:123456789012:event-bus/default");
  ASSERT_TRUE(bus.ok());
  EXPECT_EQ(bus->kind, TaggedResourceRef::Kind::kEventBus);
  EXPECT_EQ(bus->region, "eu-west-1");
  EXPECT_EQ(bus->account, "123456789012");
  EXPECT_EQ(bus->bus, "default");
  EXPECT_TRUE(bus->name.empty());
  // A partner bus's name holds '/'; whether a bus exists is not the ARN's to say.
  auto partner = ParseTaggedResourceArn(
      "arn:aws:events:us-east-1:123456789012:event-bus/aws.partner/example.com/1/x");
  ASSERT_TRUE(partner.ok());
  EXPECT_EQ(partner->bus, "aws.partner/example.com/1/x");
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
