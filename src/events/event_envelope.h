// EventBridge events built from Arcana's own facts. An audit record (audit/audit_event.h,
// already redacted: no secret value) becomes
//   {"version":"0","id":<uuid>,"detail-type":"AWS API Call via CloudTrail"
//    (or "AWS Service Event via CloudTrail" for an AwsServiceEvent),
//    "source":"aws.<service>" (from eventSource "<service>.amazonaws.com"; arcana.operator as is),
//    "account","time","region","resources":[ARN...],"detail":<the record>}
// as EventBridge delivers CloudTrail events. Detections (events/detections.h) build theirs
// with MakeEvent.
// Thread-safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <string>
#include <vector>

namespace arcana::events {

// An event ready to match and deliver: its parsed form and its JSON text.
struct Event {
  std::string account;
  std::string region;
  std::string json;
  std::string id;  // the event's "id" (what PutEvents answers as EventId)
  // A read-only management event delivered through CloudTrail (an API call's record with
  // readOnly true): EventBridge matches it only against rules whose state is
  // ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, never ENABLED ones.
  bool read_only_management = false;
  // The event bus it is put on: AWS's services' events (Arcana's own) go to the default bus;
  // PutEvents names one.
  std::string bus = "default";
  // How many rules' event-bus targets have forwarded it so far (EventBus bounds it).
  int forwards = 0;
  // A scheduled rule's event (ScheduledRuleEvent): it goes to that rule's targets only,
  // matched against no pattern, as EventBridge sends a schedule's events.
  std::string rule_arn;
  // A replayed event (events/replays.h): archives do not keep it again, and when
  // replay_rules is not empty only those rules (by ARN) may match it.
  bool replayed = false;
  std::vector<std::string> replay_rules;
};

// "aws.secretsmanager" for "secretsmanager.amazonaws.com"; other sources unchanged.
std::string EventSourceOf(const std::string& cloudtrail_event_source);

// The event of one audit record (a parsed CloudTrail-shaped object). Records without an
// account (an unauthenticated call) take fallback_account.
Event RecordEvent(const rapidjson::Value& record, const std::string& fallback_account);

// The event a scheduled rule sends its targets at each run (time_ms: the run's due time):
//   {"version":"0","id":<uuid>,"detail-type":"Scheduled Event","source":"aws.events",
//    "account","time","region","resources":[<rule ARN>],"detail":{}}
// with rule_arn set, so it reaches that rule only.
Event ScheduledRuleEvent(const std::string& account, const std::string& region,
                         const std::string& rule_arn, int64_t time_ms);

// An event with the given fields; detail_json is a JSON object.
Event MakeEvent(const std::string& source, const std::string& detail_type,
                const std::string& account, const std::string& region, int64_t time_ms,
                const std::vector<std::string>& resources, const std::string& detail_json);

}  // namespace arcana::events
