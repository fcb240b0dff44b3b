// The parser location AWS appends to an InvalidEventPatternException's reason
// (domain/events/pattern_reader.h): where Jackson's streaming parser stood when event-ruler
// refused the pattern, and how Jackson quotes the pattern.
#include <gtest/gtest.h>

#include <string>

#include "domain/events/event_pattern.h"

namespace arcana::domain::events {
namespace {

const std::string kHead = "Event pattern is not valid. Reason: ";

std::string Message(const std::string& pattern) {
  auto p = EventPattern::Parse(pattern);
  EXPECT_FALSE(p.ok()) << pattern;
  if (p.ok()) return "";
  EXPECT_EQ(p.status().code(), ErrorCode::kInvalidEventPattern);
  return p.status().message();
}

std::string At(const std::string& pattern, int line, int column) {
  return "\n at [Source: (String)\"" + pattern + "\"; line: " + std::to_string(line) +
         ", column: " + std::to_string(column) + "]";
}

// Answers LocalStack recorded against AWS (test_events_patterns.snapshot.json).
TEST(EventPatternLocation, RecordedAnswers) {
  std::string p = R"({"int": 42})";  // past the number read along with its name
  EXPECT_EQ(Message(p), kHead + "\"int\" must be an object or an array" + At(p, 1, 11));
  p = R"({"string": "my-value"})";  // a string value not read: just past its opening quote
  EXPECT_EQ(Message(p), kHead + "\"string\" must be an object or an array" + At(p, 1, 13));
  p = R"({"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]})";
  EXPECT_EQ(Message(p), kHead + "Consecutive wildcard characters at pos 26" + At(p, 1, 72));
  p = R"({"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}})";
  EXPECT_EQ(Message(p), kHead + "Value of < must be numeric" + At(p, 1, 50));
  // Refused inside a list event-ruler reads in a catch that refuses again: the location twice.
  p = R"({"detail": {"state": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}})";
  EXPECT_EQ(Message(p),
            kHead + "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not "
                    "supported." + At(p, 1, 67) + At(p, 1, 67));
  // Not JSON: Jackson's words and position (2.17+: an unexpected char is located at itself).
  p = "{'bad': 'quotation'}";
  EXPECT_EQ(Message(p), kHead +
                            "Unexpected character (''' (code 39)): was expecting double-quote to "
                            "start field name" + At(p, 1, 2));
  p = "this is valid json but not a dict";
  EXPECT_EQ(Message(p), kHead +
                            "Unrecognized token 'this': was expecting (JSON String, Number, "
                            "Array, Object or token 'null', 'true' or 'false')" + At(p, 1, 5));
  // Faults event-ruler meets outside its parser carry no location.
  EXPECT_EQ(Message(R"({"ip": [{"cidr": "bad-filter"}]})"),
            kHead + "Malformed CIDR, one '/' required");
  EXPECT_EQ(Message(R"({"arn": [{"wildcard": "*:*:*:*:*:event-bus/*"}]})"),
            kHead + "Rule is too complex - try using fewer wildcard characters or fewer repeating "
                    "character sequences after a wildcard character");
}

TEST(EventPatternLocation, LinesAndColumnsCountJavaChars) {
  // LF, CR LF and CR each end a line; the column restarts after it.
  std::string p = "{\n  \"a\": \"x\"\n}";
  EXPECT_EQ(Message(p), kHead + "\"a\" must be an object or an array" + At(p, 2, 9));
  p = "{\r\n \"a\": [\r\n   {\"prefix\": 1}]}";
  EXPECT_EQ(Message(p), kHead + "prefix match pattern must be a string" + At(p, 3, 16));
  p = "{\r\"a\": 1}";
  EXPECT_EQ(Message(p), kHead + "\"a\" must be an object or an array" + At(p, 2, 7));
  // A column counts UTF-16 units: "é" one, an emoji (a surrogate pair) two.
  p = "{\"d\u00e9tail\": {\"\u00e9tat\": \"x\"}}";
  EXPECT_EQ(Message(p), kHead + "\"\u00e9tat\" must be an object or an array" + At(p, 1, 22));
  p = "{\"\U0001F680\": 5}";
  EXPECT_EQ(Message(p), kHead + "\"\U0001F680\" must be an object or an array" + At(p, 1, 9));
}

TEST(EventPatternLocation, TheSourceIsQuotedAsJacksonQuotesIt) {
  // Control characters other than CR and LF are written \uXXXX; quotes are left as they are.
  std::string p = "{\"a\":\t5}";
  EXPECT_EQ(Message(p), kHead + "\"a\" must be an object or an array" +
                            "\n at [Source: (String)\"{\"a\":\\u00095}\"; line: 1, column: 8]");
  // At most 500 chars are quoted, then how many were left out.
  std::string long_pattern = "{";
  for (int i = 0; i < 30; ++i) long_pattern += "\"k" + std::to_string(i) + "\": [\"vvvvvvvvvv\"], ";
  long_pattern += "\"z\": 1}";
  ASSERT_GT(long_pattern.size(), 500u);
  const int column = static_cast<int>(long_pattern.size());  // past the 1, before the '}'
  EXPECT_EQ(Message(long_pattern),
            kHead + "\"z\" must be an object or an array\n at [Source: (String)\"" +
                long_pattern.substr(0, 500) + "\"[truncated " +
                std::to_string(long_pattern.size() - 500) + " chars]; line: 1, column: " +
                std::to_string(column) + "]");
}

TEST(EventPatternLocation, TheFirstFaultInReadingOrderIsTheOneRefused) {
  // event-ruler refuses as it reads: a fault before a syntax error is the one named.
  std::string p = R"({"a": [], "b": x})";
  EXPECT_EQ(Message(p), kHead + "Empty arrays are not allowed" + At(p, 1, 9));
  // A too complex wildcard is found after the whole pattern was read.
  p = R"({"a": [{"wildcard": "*:*:*:*:*:x"}], "b": []})";
  EXPECT_EQ(Message(p), kHead + "Empty arrays are not allowed" + At(p, 1, 45));
  // An unknown numeric operator is refused once the value after it has been read.
  p = R"({"n": [{"numeric": ["~", 12]}]})";
  EXPECT_EQ(Message(p), kHead + "Unrecognized numeric range operator: ~" + At(p, 1, 28));
}

TEST(EventPatternLocation, JsonFaultsInJacksonsWords) {
  std::string p = R"({"a": ["b")";
  EXPECT_EQ(Message(p), kHead +
                            "Unexpected end-of-input: expected close marker for Array (start "
                            "marker at [Source: (String)\"" + p + "\"; line: 1, column: 7])" +
                            At(p, 1, 11));
  p = R"({"a": [01]})";
  EXPECT_EQ(Message(p), kHead + "Invalid numeric value: Leading zeroes not allowed" + At(p, 1, 9));
  p = R"({"a": ["\q"]})";
  EXPECT_EQ(Message(p), kHead + "Unrecognized character escape 'q' (code 113)" + At(p, 1, 10));
  p = R"({"a": [1,]})";
  EXPECT_EQ(Message(p), kHead +
                            "Unexpected character (']' (code 93)): expected a valid value (JSON "
                            "String, Number, Array, Object or token 'null', 'true' or 'false')" +
                            At(p, 1, 10));
  p = "{\"a\": [\"x\ny\"]}";
  EXPECT_EQ(Message(p), kHead +
                            "Illegal unquoted character ((CTRL-CHAR, code 10)): has to be escaped "
                            "using backslash to be included in string value" + At(p, 1, 10));
  // A fault in a list event-ruler reads in its catch is located twice, a JSON one too.
  p = R"({"a": [{"anything-but": ["x", tru]}]})";
  EXPECT_EQ(Message(p), kHead +
                            "Unrecognized token 'tru': was expecting (JSON String, Number, Array, "
                            "Object or token 'null', 'true' or 'false')" + At(p, 1, 34) +
                            At(p, 1, 34));
}

}  // namespace
}  // namespace arcana::domain::events
