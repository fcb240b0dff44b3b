// A rule's target as Arcana stores and delivers it: an HTTP(S) endpoint (the target's Arn is
// the URL), a Lambda function, an event bus or an API destination (the Arn is theirs:
// arn:aws:events:REGION:ACCOUNT:api-destination/NAME/UUID, with the target's HttpParameters,
// domain/events/connection.h); what it receives of an
// event (the whole event, a constant Input, the part an InputPath selects, or an
// InputTransformer's template filled from the event: at most one of the three;
// domain/events/input_transform.h); and a retry bound. Stored as a JSON document
// (storage/event_rule_store.h: EventTargetRecord::document):
//   {"Id","Arn","RoleArn"?,"Input"?,"InputPath"?,
//    "InputTransformer"?:{"InputPathsMap"?:{<name>:<path>...},"InputTemplate"},
//    "RetryPolicy"?:{"MaximumRetryAttempts"?,"MaximumEventAgeInSeconds"?},
//    "HttpParameters"?:{"PathParameterValues"?:[..],"HeaderParameters"?:{..},
//                       "QueryStringParameters"?:{..}}}
// The document has the API's Target shape, so ListTargetsByRule answers it as stored.
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <rapidjson/document.h>

#include "common/status.h"

namespace arcana::domain::events {

struct InputTransformer {
  std::vector<std::pair<std::string, std::string>> paths;  // InputPathsMap: name -> JSON path
  std::string input_template;                               // InputTemplate
};

// A target's HttpParameters (API destinations): static values only.
struct TargetHttpParameters {
  std::vector<std::string> path_values;                     // PathParameterValues
  std::vector<std::pair<std::string, std::string>> headers;  // HeaderParameters
  std::vector<std::pair<std::string, std::string>> query;    // QueryStringParameters
};

struct HttpTarget {
  std::string id;
  std::string url;  // the target's Arn: http(s)://host[:port][/path], or a Lambda function ARN
  std::optional<std::string> input;          // JSON text sent instead of the event
  std::string role_arn;                      // kept for DescribeRule round trips; unused
  std::optional<int> max_retry_attempts;     // RetryPolicy.MaximumRetryAttempts
  std::optional<int> max_event_age_seconds;  // RetryPolicy.MaximumEventAgeInSeconds
  std::optional<std::string> input_path;     // JSON path: the part of the event sent
  std::optional<InputTransformer> input_transformer;
  std::optional<TargetHttpParameters> http_parameters;  // API destination targets only
};

// Whether url is an endpoint Arcana can deliver to: "http://" or "https://", a host, no
// userinfo (user:password@, which the HTTP client refuses), no spaces or control characters,
// at most 1600 bytes (the model's TargetArn max).
bool IsHttpTargetUrl(const std::string& url);
// Whether an http(s) url carries userinfo ("https://user:pw@host/..."): credentials a target
// URL may not hold (PutTargets refuses it; they would be stored and never usable).
bool HasUrlUserinfo(const std::string& url);
// Whether arn names a Lambda function (arn:aws:lambda:REGION:ACCOUNT:function:NAME, the
// unqualified function): a target delivered by invoking it.
bool IsLambdaFunctionArn(const std::string& arn);

// An event bus a target names (arn:aws:events:REGION:ACCOUNT:event-bus/NAME): the event is
// put onto that bus. nullopt when arn is not one.
struct BusTarget {
  std::string region;
  std::string account;
  std::string name;
};
std::optional<BusTarget> ParseBusTargetArn(const std::string& arn);

// Whether arn names an API destination (arn:aws:events:REGION:ACCOUNT:api-destination/N/U).
bool IsApiDestinationArn(const std::string& arn);

// A Target's HttpParameters member (the model validator has checked its shape); non-string
// values are skipped.
TargetHttpParameters ParseTargetHttpParameters(const rapidjson::Value& v);

std::string EncodeTarget(const HttpTarget& t);
// Errors: kInternalServiceError for a document that is not one EncodeTarget wrote.
Result<HttpTarget> DecodeTarget(const std::string& document);

}  // namespace arcana::domain::events
