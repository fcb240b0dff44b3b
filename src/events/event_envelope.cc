#include "events/event_envelope.h"

#include <chrono>

#include "audit/audit_event.h"
#include "common/json.h"

namespace arcana::events {
namespace {

void Header(json::Writer& w, const std::string& id, const std::string& source,
            const std::string& detail_type, const std::string& account,
            const std::string& region, const std::string& time) {
  w.StartObject();
  json::KV(w, "version", "0");
  json::KV(w, "id", id);
  json::KV(w, "detail-type", detail_type);
  json::KV(w, "source", source);
  json::KV(w, "account", account);
  json::KV(w, "time", time);
  json::KV(w, "region", region);
}

}  // namespace

std::string EventSourceOf(const std::string& s) {
  constexpr std::string_view kSuffix = ".amazonaws.com";
  if (s.size() > kSuffix.size() && s.compare(s.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
    return "aws." + s.substr(0, s.size() - kSuffix.size());
  }
  return s;
}

Event RecordEvent(const rapidjson::Value& record, const std::string& fallback_account) {
  Event e;
  e.account = json::StrField(record, "recipientAccountId");
  if (e.account.empty() && record.HasMember("userIdentity")) {
    e.account = json::StrField(record["userIdentity"], "accountId");
  }
  if (e.account.empty()) e.account = fallback_account;
  e.region = json::StrField(record, "awsRegion");
  auto read_only = record.FindMember("readOnly");
  // What an ENABLED rule does not see: a read-only record named Describe*, Get* or List*
  // (EventBridge user guide, "Receiving read-only management events": read-only events that
  // do not follow that naming, such as TestEventPattern, KMS Decrypt or STS AssumeRole, do
  // reach ENABLED rules), except STS's GetSessionToken and GetFederationToken, which it
  // names change events although they begin with Get.
  const std::string name = json::StrField(record, "eventName");
  const bool sts_change = json::StrField(record, "eventSource") == "sts.amazonaws.com" &&
                          (name == "GetSessionToken" || name == "GetFederationToken");
  const bool read_verb =
      name.starts_with("Describe") || name.starts_with("Get") || name.starts_with("List");
  e.read_only_management = read_only != record.MemberEnd() && read_only->value.IsBool() &&
                           read_only->value.GetBool() && read_verb && !sts_change;
  std::string type = json::StrField(record, "eventType") == "AwsServiceEvent"
                         ? "AWS Service Event via CloudTrail"
                         : "AWS API Call via CloudTrail";
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  e.id = audit::NewEventId();
  Header(w, e.id, EventSourceOf(json::StrField(record, "eventSource")), type, e.account,
         e.region, json::StrField(record, "eventTime"));
  w.Key("resources");
  w.StartArray();
  auto res = record.FindMember("resources");
  if (res != record.MemberEnd() && res->value.IsArray()) {
    for (const auto& r : res->value.GetArray()) json::WriteStr(w, json::StrField(r, "ARN"));
  }
  w.EndArray();
  w.Key("detail");
  record.Accept(w);
  w.EndObject();
  e.json = json::Finish(buf);
  return e;
}

Event MakeEvent(const std::string& source, const std::string& detail_type,
                const std::string& account, const std::string& region, int64_t time_ms,
                const std::vector<std::string>& resources, const std::string& detail_json) {
  Event e{account, region, "", audit::NewEventId()};
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  Header(w, e.id, source, detail_type, account, region, audit::IsoTime(time_ms));
  w.Key("resources");
  json::WriteStringList(w, resources);
  w.Key("detail");
  w.RawValue(detail_json.data(), detail_json.size(), rapidjson::kObjectType);
  w.EndObject();
  e.json = json::Finish(buf);
  return e;
}

Event ScheduledRuleEvent(const std::string& account, const std::string& region,
                         const std::string& rule_arn, int64_t time_ms) {
  Event e = MakeEvent("aws.events", "Scheduled Event", account, region, time_ms, {rule_arn}, "{}");
  e.rule_arn = rule_arn;
  return e;
}

}  // namespace arcana::events
