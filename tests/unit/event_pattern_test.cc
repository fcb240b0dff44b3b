// EventBridge event patterns (domain/events/event_pattern.h): each documented filter, its
// negative case, and the invalid patterns PutRule must refuse.
#include "domain/events/event_pattern.h"

#include <gtest/gtest.h>

#include <string>

namespace arcana::domain::events {
namespace {

const char* kEvent = R"({
  "version": "0", "id": "e1", "detail-type": "AWS API Call via CloudTrail",
  "source": "aws.secretsmanager", "account": "123456789012", "region": "us-east-1",
  "resources": ["arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"],
  "detail": {
    "eventName": "GetSecretValue", "readOnly": true, "errorCode": null,
    "requestParameters": {"secretId": "prod/db", "versionStage": "AWSPREVIOUS"},
    "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
    "count": 7, "tags": ["blue", "green"], "items": [{"n": 1}, {"n": 12}]
  }
})";

bool Match(const std::string& pattern, const char* event = kEvent) {
  auto p = EventPattern::Parse(pattern);
  EXPECT_TRUE(p.ok()) << pattern << ": " << p.status().message();
  if (!p.ok()) return false;
  auto m = p->MatchesJson(event);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() && *m;
}

Status ParseError(const std::string& pattern) {
  auto p = EventPattern::Parse(pattern);
  return p.ok() ? Status::Ok() : p.status();
}

TEST(EventPattern, ExactValuesOfSourceDetailTypeAndNestedDetail) {
  EXPECT_TRUE(Match(R"({"source":["aws.kms","aws.secretsmanager"]})"));
  EXPECT_FALSE(Match(R"({"source":["aws.kms"]})"));
  EXPECT_TRUE(Match(R"({"detail-type":["AWS API Call via CloudTrail"],
                        "detail":{"eventName":["GetSecretValue"],
                                  "requestParameters":{"secretId":["prod/db"]}}})"));
  EXPECT_FALSE(Match(R"({"source":["aws.secretsmanager"],"detail":{"eventName":["PutSecretValue"]}})"));
  EXPECT_TRUE(Match(R"({"detail":{"readOnly":[true],"errorCode":[null],"count":[7.0]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"count":["7"]}})"));  // a string is not the number
  EXPECT_TRUE(Match(R"({"detail":{"tags":["green"]}})"));  // any element of an array
  EXPECT_TRUE(Match(R"({"detail":{"items":{"n":[12]}}})"));  // objects inside an array
  EXPECT_FALSE(Match(R"({"detail":{"absent":["x"]}})"));
}

TEST(EventPattern, PrefixSuffixIgnoreCaseAndWildcard) {
  EXPECT_TRUE(Match(R"({"detail":{"requestParameters":{"secretId":[{"prefix":"prod/"}]}}})"));
  EXPECT_FALSE(Match(R"({"detail":{"requestParameters":{"secretId":[{"prefix":"dev/"}]}}})"));
  EXPECT_TRUE(Match(R"({"detail":{"userIdentity":{"arn":[{"suffix":":user/alice"}]}}})"));
  EXPECT_FALSE(Match(R"({"detail":{"userIdentity":{"arn":[{"suffix":":user/bob"}]}}})"));
  EXPECT_TRUE(Match(R"({"source":[{"prefix":{"equals-ignore-case":"AWS.SECRETS"}}]})"));
  EXPECT_TRUE(Match(R"({"detail":{"eventName":[{"equals-ignore-case":"getsecretvalue"}]}})"));
  EXPECT_TRUE(Match(R"({"resources":[{"wildcard":"arn:aws:secretsmanager:*:secret:prod/*"}]})"));
  EXPECT_FALSE(Match(R"({"resources":[{"wildcard":"arn:aws:kms:*"}]})"));
}

TEST(EventPattern, AnythingButNumericAndExists) {
  EXPECT_TRUE(Match(R"({"detail":{"eventName":[{"anything-but":["PutSecretValue","DeleteSecret"]}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"eventName":[{"anything-but":"GetSecretValue"}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"eventName":[{"anything-but":{"prefix":"Get"}}]}})"));
  EXPECT_TRUE(Match(R"({"detail":{"eventName":[{"anything-but":{"suffix":"Key"}}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"count":[{"anything-but":[7]}]}})"));
  EXPECT_TRUE(Match(R"({"detail":{"count":[{"numeric":[">",0,"<=",7]}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"count":[{"numeric":[">",0,"<",7]}]}})"));
  EXPECT_TRUE(Match(R"({"detail":{"count":[{"numeric":["=",7]}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"count":[{"numeric":[">=",8]}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"eventName":[{"numeric":[">",0]}]}})"));  // not a number
  EXPECT_TRUE(Match(R"({"detail":{"errorMessage":[{"exists":false}],"eventName":[{"exists":true}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"eventName":[{"exists":false}]}})"));
  EXPECT_FALSE(Match(R"({"detail":{"userIdentity":[{"exists":true}]}})"));  // leaves only
  EXPECT_TRUE(Match(R"({"detail":{"missing":{"deeper":[{"exists":false}]}}})"));
  EXPECT_TRUE(Match(R"({"$or":[{"source":["aws.kms"]},{"detail":{"count":[7]}}]})"));
  EXPECT_FALSE(Match(R"({"$or":[{"source":["aws.kms"]},{"detail":{"count":[8]}}]})"));
}

TEST(EventPattern, InvalidPatternsAreInvalidEventPatternException) {
  for (const char* bad : {
           "", "[]", "\"x\"", "{}", R"({"source":"aws.kms"})", R"({"source":[]})",
           R"({"source":[{"prefix":1}]})", R"({"source":[{"unknown":"x"}]})",
           R"({"source":[{"prefix":"a","suffix":"b"}]})", R"({"n":[{"numeric":[">"]}]})",
           R"({"n":[{"numeric":["<",1,">",0]}]})", R"({"n":[{"numeric":[">",5,"<",1]}]})",
           R"({"n":[{"numeric":["~",1]}]})", R"({"n":[{"exists":"yes"}]})",
           R"({"n":[[1]]})", R"({"$or":[{"a":["b"]}]})", R"({"n":[{"wildcard":"a**b"}]})",
           R"({"n":[{"anything-but":[]}]})", R"({"n":[{"anything-but":[null]}]})"}) {
    Status s = ParseError(bad);
    EXPECT_EQ(s.code(), ErrorCode::kInvalidEventPattern) << bad;
    EXPECT_EQ(s.message().rfind("Event pattern is not valid. Reason: ", 0), 0u) << s.message();
  }
}

TEST(EventPattern, BoundsOnSizeDepthAndCount) {
  std::string deep = R"({"source":["x"]})";
  for (int i = 0; i < 20; ++i) deep = "{\"a\":" + deep + "}";
  EXPECT_EQ(ParseError(deep).code(), ErrorCode::kInvalidEventPattern);
  EXPECT_EQ(ParseError("{\"a\":[\"" + std::string(5000, 'x') + "\"]}").code(),
            ErrorCode::kInvalidEventPattern);
  std::string many = "{\"a\":[";
  for (int i = 0; i < 1100; ++i) many += (i ? ",1" : "1");
  many += "]}";
  ASSERT_LE(many.size(), kMaxPatternBytes);
  EXPECT_EQ(ParseError(many).code(), ErrorCode::kInvalidEventPattern);
  // A wildcard against a long value stays cheap (no exponential backtracking).
  std::string event = "{\"v\":\"" + std::string(4000, 'a') + "\"}";
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"*a*a*a*a*a*a*a*b"}]})", event.c_str()));
}

}  // namespace
}  // namespace arcana::domain::events
