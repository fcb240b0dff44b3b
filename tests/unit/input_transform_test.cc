// What a rule's target receives (domain/events/input_transform.h): InputPath and
// InputTransformer as AWS's recordings (LocalStack's AWS-validated test_events_inputs.py
// snapshots) and the user guide show them, and the placeholders PutTargets refuses.
#include "domain/events/input_transform.h"

#include <gtest/gtest.h>

#include <string>

#include "common/json.h"

namespace arcana::domain::events {
namespace {

// The recordings' event: TEST_EVENT_PATTERN's source and detail type.
const char* kRecordedEvent = R"({"version":"0","id":"e-1","detail-type":"core.update-account-command",)"
                     R"("source":"core.update-account-command","account":"111111111111",)"
                     R"("time":"2024-06-11T10:00:00Z","region":"us-east-1","resources":[],)"
                     R"("detail":{"command":"update-account","payload":{"acc_id":"0a787ecb-4015",)"
                     R"("sf_id":"baz"},"listsingle":["HIGH"],"listmulti":["ACTIVE","INACTIVE"],)"
                     R"("valid":true,"count":7,"nothing":null,"quote":"say \"hi\""}})";

const MatchContext kRuleMatch{"arn:aws:events:us-east-1:111111111111:rule/r1", "r1",
                          "2024-06-11T10:00:01Z"};

std::optional<std::string> Body(const HttpTarget& t) {
  rapidjson::Document event;
  EXPECT_TRUE(json::ParseBounded(kRecordedEvent, &event).ok());
  return TargetBody(t, event, kRecordedEvent, kRuleMatch);
}

HttpTarget Transformer(std::string templ) {
  HttpTarget t;
  t.input_transformer = InputTransformer{{{"detail-type", "$.detail-type"},
                                          {"timestamp", "$.time"},
                                          {"command", "$.detail.command"},
                                          {"missing", "$.detail.notinmessage"},
                                          {"payload", "$.detail.payload"},
                                          {"userId", "$.detail.payload.acc_id"},
                                          {"listsingle", "$.detail.listsingle"},
                                          {"listmulti", "$.detail.listmulti"},
                                          {"valid", "$.detail.valid"},
                                          {"count", "$.detail.count"},
                                          {"nothing", "$.detail.nothing"},
                                          {"quote", "$.detail.quote"}},
                                         std::move(templ)};
  return t;
}

HttpTarget Path(std::string path) {
  HttpTarget t;
  t.input_path = std::move(path);
  return t;
}

TEST(InputTransform, NoInputMemberSendsTheEventAndInputSendsTheConstant) {
  HttpTarget t;
  EXPECT_EQ(Body(t), kRecordedEvent);
  t.input = R"({"fixed":1})";
  EXPECT_EQ(Body(t), R"({"fixed":1})");
}

TEST(InputTransform, InputPathSendsTheSelectedValueAsJson) {
  // Recorded: $.detail.payload -> the object; $.detail.payload.sf_id -> "baz" with its quotes.
  EXPECT_EQ(Body(Path("$.detail.payload")), R"({"acc_id":"0a787ecb-4015","sf_id":"baz"})");
  EXPECT_EQ(Body(Path("$.detail.payload.sf_id")), R"("baz")");
  EXPECT_EQ(Body(Path("$.detail.count")), "7");
  EXPECT_EQ(Body(Path("$.detail.listmulti[1]")), R"("INACTIVE")");
  EXPECT_EQ(Body(Path("$.detail['command']")), R"("update-account")");
  EXPECT_EQ(Body(Path("$.detail.listmulti[*]")), R"(["ACTIVE","INACTIVE"])");
  EXPECT_EQ(Body(Path("$.detail.payload.*")), R"(["0a787ecb-4015","baz"])");
  EXPECT_EQ(Body(Path("$")), kRecordedEvent);  // the event, minified (it is already)
  // Nothing selected, or no path: nothing is sent.
  EXPECT_EQ(Body(Path("$.detail.absent")), std::nullopt);
  EXPECT_EQ(Body(Path("$.detail.listmulti[7]")), std::nullopt);
  EXPECT_EQ(Body(Path("detail")), std::nullopt);
  EXPECT_EQ(Body(Path("$.detail[")), std::nullopt);
  EXPECT_EQ(Body(Path("$..x")), std::nullopt);
}

TEST(InputTransform, StringTemplateKeepsItsQuotesAndAMissingValueIsEmpty) {
  // Recorded (test_put_events_with_input_transformer_input_template_string).
  const std::string templ =
      R"("Event of <detail-type> type, at time <timestamp>, info extracted from detail <command>")";
  EXPECT_EQ(Body(Transformer(templ)),
            R"("Event of core.update-account-command type, at time 2024-06-11T10:00:00Z, info )"
            R"(extracted from detail update-account")");
  EXPECT_EQ(Body(Transformer(R"("info <missing>")")), R"("info ")");
  EXPECT_EQ(Body(Transformer(R"("{[/Check for <detail-type> type")")),
            R"("{[/Check for core.update-account-command type")");
}

TEST(InputTransform, JsonTemplateQuotesStringsAndMinifies) {
  // Recorded (test_put_events_with_input_transformer_input_template_json).
  EXPECT_EQ(Body(Transformer(
                R"({"detailType": <detail-type>,  "time": <timestamp>, "command": <command>})")),
            R"({"detailType":"core.update-account-command","time":"2024-06-11T10:00:00Z",)"
            R"("command":"update-account"})");
  EXPECT_EQ(Body(Transformer(R"({"command": <missing>})")), R"({"command":""})");
  // Objects, arrays, numbers and booleans unquoted as JSON; strings quoted or not.
  EXPECT_EQ(Body(Transformer(R"({"bod": <payload>, "l": <listmulti>, "n": <count>, "v": <valid>})")),
            R"({"bod":{"acc_id":"0a787ecb-4015","sf_id":"baz"},"l":["ACTIVE","INACTIVE"],"n":7,)"
            R"("v":true})");
  EXPECT_EQ(Body(Transformer(R"({"id" : "<userId>"})")), R"({"id":"0a787ecb-4015"})");
  EXPECT_EQ(Body(Transformer(R"({"m": "users/<userId>/second/<userId>", "a": [<userId>, "x"]})")),
            R"({"m":"users/0a787ecb-4015/second/0a787ecb-4015","a":["0a787ecb-4015","x"]})");
  EXPECT_EQ(Body(Transformer(R"({"n": <nothing>, "s": "<nothing>"})")), R"({"n":null,"s":""})");
  // A value's own quotes stay a valid JSON string.
  EXPECT_EQ(Body(Transformer(R"({"q": "<quote>", "r": <quote>})")),
            R"({"q":"say \"hi\"","r":"say \"hi\""})");
}

TEST(InputTransform, JsonTemplateWithAnObjectInsideAStringSendsNothing) {
  // Recorded on AWS as never delivered (test_input_transformer_nested_keys_replacement_not_valid).
  EXPECT_EQ(Body(Transformer(R"({"payload": "<payload>"})")), std::nullopt);
  EXPECT_EQ(Body(Transformer(R"({"singlelistitem": "<listsingle>"})")), std::nullopt);
  EXPECT_EQ(Body(Transformer(R"({"not_valid": "users/<payload>", "bod": <payload>})")), std::nullopt);
  EXPECT_EQ(Body(Transformer(R"({"broken": <command>)")), std::nullopt);
}

TEST(InputTransform, ObjectsAndArraysInsideAStringLoseTheirQuotes) {
  EXPECT_EQ(Body(Transformer(R"("<listsingle> single <listmulti> multi <payload> <valid>!")")),
            R"("[HIGH] single [ACTIVE,INACTIVE] multi {acc_id:0a787ecb-4015,sf_id:baz} true!")");
}

TEST(InputTransform, PredefinedVariables) {
  EXPECT_EQ(Body(Transformer(
                R"("all <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>")")),
            R"("all arn:aws:events:us-east-1:111111111111:rule/r1 r1 2024-06-11T10:00:01Z")");
  auto body = Body(Transformer(R"({"e": <aws.events.event>, "j": <aws.events.event.json>})"));
  ASSERT_TRUE(body);
  rapidjson::Document d;
  ASSERT_TRUE(json::ParseBounded(*body, &d).ok());
  // aws.events.event: no detail, detailType instead of detail-type (recorded).
  EXPECT_FALSE(d["e"].HasMember("detail"));
  EXPECT_FALSE(d["e"].HasMember("detail-type"));
  EXPECT_STREQ(d["e"]["detailType"].GetString(), "core.update-account-command");
  EXPECT_STREQ(d["e"]["id"].GetString(), "e-1");
  EXPECT_STREQ(d["j"]["detail-type"].GetString(), "core.update-account-command");
  EXPECT_STREQ(d["j"]["detail"]["command"].GetString(), "update-account");
}

TEST(InputTransform, TextTemplateTakesValuesAsText) {
  EXPECT_EQ(Body(Transformer("<userId> is in state <command>")),
            "0a787ecb-4015 is in state update-account");
  // Angle brackets that are no placeholder are the template's own.
  EXPECT_EQ(Body(Transformer("a < b and <x y> <command>")), "a < b and <x y> update-account");
}

// A review: InputPathsMap {"a":"$"} with "<a>" 2,730 times (an 8,190-character template)
// made a 20 KB event a 55 MB body. The body stops at kMaxTargetBodyBytes, whatever the
// template's kind, and the delivery fails (too_large) rather than being built.
TEST(InputTransform, ABodyOverTheEventSizeLimitIsRefusedWhileItIsFilled) {
  const std::string event_json =
      R"({"id":"e-big","detail":{"pad":")" + std::string(20'000, 'x') + R"("}})";
  rapidjson::Document event;
  ASSERT_TRUE(json::ParseBounded(event_json, &event).ok());
  auto body = [&](std::string templ, bool* too_large) {
    HttpTarget t;
    t.input_transformer = InputTransformer{{{"a", "$"}}, std::move(templ)};
    return TargetBody(t, event, event_json, kRuleMatch, too_large);
  };
  std::string text, json_list = "[", in_string = "\"";
  for (int i = 0; i < 2730; ++i) text += "<a>";
  for (int i = 0; i < 2000; ++i) json_list += i ? ",<a>" : "<a>";
  json_list += "]";
  for (int i = 0; i < 2000; ++i) in_string += "<a>";
  in_string += "\"";
  for (const std::string& templ : {text, json_list, in_string}) {
    bool too_large = false;
    EXPECT_EQ(body(templ, &too_large), std::nullopt) << templ.substr(0, 8);
    EXPECT_TRUE(too_large) << templ.substr(0, 8);
  }
  // Twelve copies (about 240 KB) fit.
  bool too_large = true;
  auto fits = body("[<a>,<a>,<a>,<a>,<a>,<a>,<a>,<a>,<a>,<a>,<a>,<a>]", &too_large);
  ASSERT_TRUE(fits.has_value());
  EXPECT_FALSE(too_large);
  EXPECT_LE(fits->size(), kMaxTargetBodyBytes);
  // Nothing selected is no failure: too_large stays false.
  HttpTarget none;
  none.input_path = "$.nothing";
  EXPECT_EQ(TargetBody(none, event, event_json, kRuleMatch, &too_large), std::nullopt);
  EXPECT_FALSE(too_large);
}

TEST(InputTransform, UndefinedPlaceholders) {
  InputTransformer t{{{"detail-type", "$.detail-type"}}, ""};
  t.input_template = R"("Event of <detail-type> type, with not defined key <notdefinedkey>")";
  EXPECT_EQ(UndefinedPlaceholder(t), "notdefinedkey");
  t.input_template = R"("<detail-type> <aws.events.rule-arn> <aws.events.event.json> <a b> </x>")";
  EXPECT_EQ(UndefinedPlaceholder(t), std::nullopt);
  t.input_template = R"({"x": <aws.events.other>})";
  EXPECT_EQ(UndefinedPlaceholder(t), "aws.events.other");
}

TEST(InputTransform, TargetsKeepTheirInputMembersThroughTheStore) {
  HttpTarget t = Transformer(R"({"c": <command>})");
  t.id = "t1";
  t.url = "http://127.0.0.1:9/x";
  auto back = DecodeTarget(EncodeTarget(t));
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->input_transformer);
  EXPECT_EQ(back->input_transformer->paths, t.input_transformer->paths);
  EXPECT_EQ(back->input_transformer->input_template, R"({"c": <command>})");
  HttpTarget p = Path("$.detail");
  p.id = "t2";
  p.url = "http://127.0.0.1:9/x";
  auto back_p = DecodeTarget(EncodeTarget(p));
  ASSERT_TRUE(back_p.ok());
  EXPECT_EQ(back_p->input_path, "$.detail");
  EXPECT_FALSE(back_p->input_transformer);
  EXPECT_EQ(EncodeTarget(*back_p), R"({"Id":"t2","Arn":"http://127.0.0.1:9/x","InputPath":"$.detail"})");
}

}  // namespace
}  // namespace arcana::domain::events

namespace arcana::domain::events {
namespace {

TEST(TargetArns, HttpLambdaAndEventBusTargetsAreToldApart) {
  EXPECT_TRUE(IsHttpTargetUrl("https://hooks.example.com/a"));
  EXPECT_FALSE(IsHttpTargetUrl("https:///a"));
  EXPECT_TRUE(IsLambdaFunctionArn("arn:aws:lambda:us-east-1:123456789012:function:f"));
  EXPECT_FALSE(IsLambdaFunctionArn("arn:aws:events:us-east-1:123456789012:event-bus/b"));
  auto bus = ParseBusTargetArn("arn:aws:events:us-east-1:123456789012:event-bus/orders.v2");
  ASSERT_TRUE(bus);
  EXPECT_EQ(bus->region, "us-east-1");
  EXPECT_EQ(bus->account, "123456789012");
  EXPECT_EQ(bus->name, "orders.v2");
  for (const char* bad : {"arn:aws:events:us-east-1:123456789012:event-bus/",
                          "arn:aws:events:us-east-1:12345:event-bus/b",
                          "arn:aws:events:us-east-1:123456789012:rule/r",
                          "arn:aws:events:us-east-1:123456789012:event-bus/a/b",
                          "arn:aws:events::123456789012:event-bus/b",
                          "arn:aws:sqs:us-east-1:123456789012:q"}) {
    EXPECT_FALSE(ParseBusTargetArn(bad)) << bad;
  }
}

}  // namespace
}  // namespace arcana::domain::events
