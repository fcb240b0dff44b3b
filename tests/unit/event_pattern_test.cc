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
  // (Eight wildcards, no character after more than four of them: not refused as too complex.)
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"*a*b*a*b*a*b*a*c"}]})", event.c_str()));
}

// The messages below are those AWS's TestEventPattern answers for the same mistakes: the
// reason, without the parser location after it (event_pattern_location_test.cc checks that).
std::string Reason(const std::string& pattern) {
  Status s = ParseError(pattern);
  EXPECT_EQ(s.code(), ErrorCode::kInvalidEventPattern) << pattern;
  const std::string head = "Event pattern is not valid. Reason: ";
  std::string why = s.message().rfind(head, 0) == 0 ? s.message().substr(head.size()) : s.message();
  return why.substr(0, why.find("\n at [Source: "));
}

const char* kOrder = R"({
  "id": "o1", "source": "shop.orders", "detail-type": "Order", "account": "111122223333",
  "region": "eu-west-1", "time": "2025-03-01T10:00:00Z", "resources": [],
  "detail": {"status": "shipped", "code": 41, "note": null, "file": "report.csv.gz",
             "client": "192.168.7.20", "client6": "fd00:0:0:12::7",
             "shipment.carrier": "ups", "address": {"city.name": "Lyon"}}
})";

TEST(EventPattern, AnythingButMatchesEveryPresentValueButTheExcludedOnes) {
  // null and numbers are "anything but" a string, a prefix, a suffix or a wildcard.
  EXPECT_TRUE(Match(R"({"detail":{"note":[{"anything-but":"shipped"}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"note":[{"anything-but":{"prefix":"ship"}}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"code":[{"anything-but":{"suffix":"9"}}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"note":[{"anything-but":{"equals-ignore-case":"X"}}]}})", kOrder));
  // An absent field is not "anything but".
  EXPECT_FALSE(Match(R"({"detail":{"gone":[{"anything-but":{"prefix":"a"}}]}})", kOrder));
  // Lists of prefixes, suffixes, ignore-case values and wildcards.
  EXPECT_TRUE(Match(R"({"detail":{"status":[{"anything-but":{"prefix":["pend","canc"]}}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"status":[{"anything-but":{"prefix":["pend","ship"]}}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"file":[{"anything-but":{"suffix":[".zip",".gz"]}}]}})", kOrder));
  EXPECT_FALSE(Match(
      R"({"detail":{"status":[{"anything-but":{"equals-ignore-case":["NEW","SHIPPED"]}}]}})", kOrder));
  EXPECT_TRUE(Match(
      R"({"detail":{"status":[{"anything-but":{"equals-ignore-case":["NEW","LOST"]}}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"file":[{"anything-but":{"wildcard":"*.csv*"}}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"file":[{"anything-but":{"wildcard":["*.txt","x*"]}}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"code":[{"anything-but":{"wildcard":"9*"}}]}})", kOrder));
}

TEST(EventPattern, AnythingButOperandsRefusedWithAwsMessages) {
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"prefix":7}}]})"),
            "prefix/suffix match pattern must be a string");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"suffix":["x",null]}}]})"),
            "prefix/suffix match pattern must be a string");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"prefix":{"equals-ignore-case":"x"}}}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"equals-ignore-case":["x",3]}}]})"),
            "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
            "supported.");
  // A boolean is refused before its operator is looked at (event-ruler's JsonRuleCompiler: the
  // operand must be an array, a string or a number); a number reaches the operator's check.
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"wildcard":false}}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"wildcard":7}}]})"),
            "wildcard match pattern must be a string");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":null}]})"),
            "Value of anything-but must be an array or single string/number value.");
  EXPECT_EQ(ParseError(R"({"a":[{"anything-but":{"suffix":""}}]})").code(),
            ErrorCode::kInvalidEventPattern);
}

TEST(EventPattern, CidrMatchesAddressesInsideTheNetwork) {
  EXPECT_TRUE(Match(R"({"detail":{"client":[{"cidr":"192.168.0.0/16"}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"client":[{"cidr":"192.168.8.0/24"}]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"client6":[{"cidr":"fd00:0:0:12::/64"}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"client6":[{"cidr":"fd00:0:0:13::/64"}]}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"code":[{"cidr":"0.0.0.0/0"}]}})", kOrder));  // not an address
  EXPECT_EQ(Reason(R"({"ip":[{"cidr":"10.1.2.3"}]})"), "Malformed CIDR, one '/' required");
  EXPECT_EQ(Reason(R"({"ip":[{"cidr":"10.1.2.3/x8"}]})"),
            "Malformed CIDR, mask bits must be an integer");
  EXPECT_EQ(Reason(R"({"ip":[{"cidr":"10.1.2.x/8"}]})"), "Nonstandard IP address: 10.1.2.x");
  EXPECT_EQ(Reason(R"({"ip":[{"cidr":["10.0.0.0/8"]}]})"), "prefix match pattern must be a string");
}

TEST(EventPattern, DottedKeysNameNestedFieldsOnEitherSide) {
  EXPECT_TRUE(Match(R"({"detail":{"shipment":{"carrier":["ups"]}}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail.address":{"city.name":["Lyon"]}})", kOrder));
  EXPECT_TRUE(Match(R"({"detail":{"address.city":{"name":["Lyon"]}}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"shipment":{"carrier":["dhl"]}}})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"address.city.name":{"x":["Lyon"]}}})", kOrder));
}

TEST(EventPattern, EmptyArraysAndObjectsAreNoLeafValues) {
  EXPECT_FALSE(Match(R"({"resources":[{"exists":true}]})", kOrder));
  EXPECT_TRUE(Match(R"({"resources":[{"exists":false}]})", kOrder));
  EXPECT_FALSE(Match(R"({"detail":{"address":[{"anything-but":"x"}]}})", kOrder));
}

TEST(EventPattern, RefusalsNameWhatAwsNames) {
  EXPECT_EQ(Reason(R"({"detail":{"code":41}})"), "\"code\" must be an object or an array");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[">",1,"<="]}]})"), "Value of <= must be numeric");
  EXPECT_EQ(Reason(R"({"arn":[{"wildcard":"*/*/*/*/*/x"}]})"),
            "Rule is too complex - try using fewer wildcard characters or fewer repeating "
            "character sequences after a wildcard character");
  EXPECT_TRUE(Match(R"({"detail":{"file":[{"wildcard":"*.*.*"}]}})", kOrder));
}

// event-ruler's wildcard escapes (its README, "Wildcard matching"): \* is a literal asterisk,
// \\ a literal backslash, any other escape is refused, as are two wildcards in a row; AWS
// names the fault's UTF-8 byte position in the quoted operand (offset + 1).
TEST(EventPattern, WildcardEscapesAreLiteralAndOtherEscapesAreRefused) {
  const char* star = R"({"v":"a*b"})";
  const char* backslash = R"({"v":"a\\b"})";
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"a\\*b"}]})", star));
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"a\\*b"}]})", R"({"v":"aXYb"})"));
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"a\\\\b"}]})", backslash));
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"a\\\\b"}]})", R"({"v":"a\\\\b"})"));
  // An escaped '*' then a wildcard is no pair of wildcards.
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"a\\**"}]})", R"({"v":"a*zz"})"));
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"a\\**"}]})", R"({"v":"azz"})"));
  // A literal backslash then a wildcard: the wildcard still matches any run.
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"a\\\\*"}]})", R"({"v":"a\\xyz"})"));
  // Escapes inside an anything-but wildcard too.
  EXPECT_FALSE(Match(R"({"v":[{"anything-but":{"wildcard":"*\\**"}}]})", star));
  EXPECT_TRUE(Match(R"({"v":[{"anything-but":{"wildcard":"*\\**"}}]})", R"({"v":"ab"})"));
  // Runs found leftmost, still anchored at both ends.
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"*b*b"}]})", R"({"v":"abbb"})"));
  EXPECT_FALSE(Match(R"({"v":[{"wildcard":"ab*ba"}]})", R"({"v":"aba"})"));
  EXPECT_TRUE(Match(R"({"v":[{"wildcard":"*"}]})", R"({"v":""})"));

  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"a\\xb"}]})"), "Invalid escape character at pos 2");
  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"ab\\"}]})"), "Invalid escape character at pos 3");
  EXPECT_EQ(Reason(R"({"v":[{"anything-but":{"wildcard":"\\a"}}]})"),
            "Invalid escape character at pos 1");
  // Positions count UTF-8 bytes ("é" is two).
  EXPECT_EQ(Reason("{\"v\":[{\"wildcard\":\"\u00e9\\\\n\"}]}"),
            "Invalid escape character at pos 3");
  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"abc**def"}]})"),
            "Consecutive wildcard characters at pos 4");
  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"a\\\\**"}]})"),
            "Consecutive wildcard characters at pos 4");
  // The first fault from the left is the one named.
  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"a**\\x"}]})"),
            "Consecutive wildcard characters at pos 2");
  EXPECT_EQ(Reason(R"({"v":[{"wildcard":"\\xa**"}]})"), "Invalid escape character at pos 1");
}

TEST(EventPattern, ARepeatedKeyCountsAsItsLastValue) {
  // The EventBridge guide: "the last reference will be the one used to evaluate events".
  const char* event = R"({"detail":{"location":"eu-central-1"}})";
  EXPECT_TRUE(Match(R"({"detail":{"location":[{"prefix":"us-"}],
                                  "location":[{"anything-but":"us-east"}]}})", event));
  EXPECT_FALSE(Match(R"({"detail":{"location":[{"anything-but":"us-east"}],
                                   "location":[{"prefix":"us-"}]}})", event));
  // Both are still read: a refused earlier value refuses the pattern.
  EXPECT_EQ(Reason(R"({"a":[{"prefix":1}],"a":["x"]})"), "prefix match pattern must be a string");
}

TEST(EventPattern, TextThatIsNotJsonIsRefusedInItsParsersWords) {
  const std::string expecting =
      "was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')";
  EXPECT_EQ(Reason("this is valid json but not a dict"), "Unrecognized token 'this': " + expecting);
  EXPECT_EQ(Reason(R"({"not": closed mark")"), "Unrecognized token 'closed': " + expecting);
  EXPECT_EQ(Reason(R"({"a": tru})"), "Unrecognized token 'tru': " + expecting);
  EXPECT_EQ(Reason("{'bad': 'quotation'}"),
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name");
  EXPECT_EQ(Reason(R"({"a": [1,]})"),
            "Unexpected character (']' (code 93)): expected a valid value (JSON String, Number, "
            "Array, Object or token 'null', 'true' or 'false')");
}

// The refusals AWS's matcher (aws/event-ruler, JsonRuleCompiler) words for itself, beyond the
// ones LocalStack recorded against AWS.
TEST(EventPattern, RefusalsInEventRulersWords) {
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":["x",null]}]})"),
            "Inside anything but list, start|null|boolean is not supported.");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":["x",1]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is not "
            "supported");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":[]}]})"),
            "Inside anything but list, either all values are number or string, mixed type is not "
            "supported");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{}}]})"), "Anything-But expression name not found");
  EXPECT_EQ(Reason(R"({"a":[{"anything-but":{"prefix":"x","suffix":"y"}}]})"),
            "Too many elements in numeric expression");
  EXPECT_TRUE(Match(R"({"a":[{"anything-but":{"prefix":[]}}]})", R"({"a":"v"})"));
  EXPECT_EQ(Reason(R"({"n":[{"numeric":5}]})"), "Value of numeric must be an array.");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[]}]})"), "Invalid member in numeric match: ]");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[5,">"]}]})"), "Invalid member in numeric match: 5");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["=","x"]}]})"), "Value of equals must be numeric");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["=",1,"<",2]}]})"),
            "Too many elements in numeric expression");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["<",1,">",0]}]})"),
            "Too many elements in numeric expression");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":["~",1]}]})"), "Unrecognized numeric range operator: ~");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[">",1,2]}]})"), "Bad value in numeric range: 2");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[">",1,"<",2,3]}]})"),
            "Too many terms in numeric range expression");
  EXPECT_EQ(Reason(R"({"n":[{"numeric":[">",1],"x":1}]})"),
            "Too many elements in numeric expression");
  EXPECT_EQ(Reason(R"({"n":[{}]})"), "Match expression name not found");
  EXPECT_EQ(Reason(R"({"n":[{"prefix":"a","suffix":"b"}]})"),
            "Only one key allowed in match expression");
  EXPECT_EQ(Reason(R"({"n":[{"prefix":{}}]})"), "Prefix expression name not found");
  EXPECT_EQ(Reason(R"({"n":[{"suffix":{"wildcard":"x"}}]})"), "Unsupported suffix pattern: wildcard");
  EXPECT_EQ(Reason(R"({"n":[{"prefix":{"equals-ignore-case":1}}]})"),
            "equals-ignore-case match pattern must be a string");
  EXPECT_EQ(Reason(R"({"$or":{"a":["b"]}})"), "It must be an Array followed with $or.");
  EXPECT_EQ(Reason(R"({"$or":[{"a":["b"]},"c"]})"),
            "Only JSON object is allowed in array of $or relationship.");
  EXPECT_EQ(Reason(R"({"$or":[{"a":["b"]}]})"),
            "There must have at least 2 Objects in $or relationship.");
}

}  // namespace
}  // namespace arcana::domain::events
