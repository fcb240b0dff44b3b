// What a rule's target receives of a matched event, as EventBridge builds it (recorded on AWS:
// LocalStack's AWS-validated test_events_inputs.py snapshots; the rules below that no recording
// covers follow the user guide's "Amazon EventBridge input transformation"):
//  - no Input, InputPath or InputTransformer: the event itself;
//  - Input: that constant JSON text;
//  - InputPath: the JSON of the value the path selects ("$.detail" -> the detail object;
//    "$.detail.id" -> "abc", a JSON string with its quotes). A path that selects nothing
//    sends nothing (not recorded on AWS);
//  - InputTransformer: the InputTemplate with each <name> placeholder replaced by the value its
//    InputPathsMap path selects, or by a predefined variable: aws.events.rule-arn,
//    aws.events.rule-name, aws.events.event.ingestion-time (ISO 8601), aws.events.event (the
//    event without "detail", "detail-type" spelt "detailType", as AWS sends it) and
//    aws.events.event.json (the whole event).
//    A value is written by where its placeholder stands:
//      outside a JSON string: JSON (a string quoted: the user guide's "EventBridge
//        automatically adds quotes to string variable values"), a path that selects nothing
//        as "" (recorded: {"command": <command>} -> {"command":""});
//      inside a JSON string ("... <name> ..."): a string's characters (escaped so that the
//        string stays valid JSON), a number or boolean as its JSON text, null or nothing as
//        the empty string (recorded), an object as its JSON with every '"' removed and an
//        array as [a,b] (the user guide: "EventBridge removes any internal quotes").
//    A template that is a JSON object or array ("{...}") is delivered minified; if it is not
//    valid JSON once filled (an object placed inside a JSON string, as AWS's recording shows:
//    {"payload": "<payload>"}), the event is not delivered to that target, as on AWS. A
//    template that is a JSON string ("\"...\"") is delivered as that string, quotes included
//    (recorded). Any other template is text: every value goes in as inside a string, unescaped.
// JSON paths: "$" then .name, ['name'], [index], .* or [*] steps; a path with a wildcard
// selects the array of everything it reaches. Anything else selects nothing (AWS: "There is no
// validation when creating JSON path for your template").
// Thread-safety: pure functions.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>

#include "domain/events/target.h"

namespace arcana::domain::events {

// The names reserved for the predefined variables.
bool IsPredefinedVariable(std::string_view name);

// The first placeholder of the template that names neither a key of paths nor a predefined
// variable (PutTargets refuses it: "InputTemplate for target <id> contains invalid
// placeholder <name>."); nullopt when there is none. A placeholder is '<', one or more of
// [A-Za-z0-9_.-], '>'; other text between angle brackets is the template's own.
std::optional<std::string> UndefinedPlaceholder(const InputTransformer& transformer);

// The value path selects in root, copied into *out (with out's allocator). false: it selects
// nothing, or is no path of the supported form.
bool SelectJsonPath(const rapidjson::Value& root, std::string_view path,
                    rapidjson::Document* out);

// The rule an event matched, and when the bus took the event in.
struct MatchContext {
  std::string_view rule_arn;
  std::string_view rule_name;
  std::string_view ingestion_time;  // ISO 8601, e.g. 2026-12-06T03:00:00Z
};

// The most an InputTransformer makes of one event: 256 KiB, EventBridge's event size limit.
// A template may place a placeholder many times (one "$" placeholder 2,730 times made a
// 20 KB event a 55 MB body), so the body is measured while it is filled, not afterwards.
inline constexpr size_t kMaxTargetBodyBytes = 256 * 1024;

// The body target receives for event (event_json is its text). nullopt: nothing is delivered
// (an InputPath that selects nothing, a JSON template that is not JSON once filled), or, with
// *too_large set (when too_large is given), the InputTransformer's body would be over
// kMaxTargetBodyBytes: filling stops there and the delivery fails (the caller dead-letters it).
std::optional<std::string> TargetBody(const HttpTarget& target, const rapidjson::Value& event,
                                      std::string_view event_json, const MatchContext& match,
                                      bool* too_large = nullptr);

}  // namespace arcana::domain::events
