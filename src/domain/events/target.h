// A rule's target as Arcana stores and delivers it: an HTTP(S) endpoint (the target's Arn
// is the URL), an optional constant body (Input) and a retry bound. Stored as a JSON
// document (storage/event_rule_store.h: EventTargetRecord::document):
//   {"Id","Arn","RoleArn"?,"Input"?,"RetryPolicy"?:{"MaximumRetryAttempts"?,"MaximumEventAgeInSeconds"?}}
// The document has the API's Target shape, so ListTargetsByRule answers it as stored.
// Thread-safety: plain values and pure functions.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace arcana::domain::events {

struct HttpTarget {
  std::string id;
  std::string url;                           // http(s)://host[:port][/path]
  std::optional<std::string> input;          // JSON text sent instead of the event
  std::string role_arn;                      // kept for DescribeRule round trips; unused
  std::optional<int> max_retry_attempts;     // RetryPolicy.MaximumRetryAttempts
  std::optional<int> max_event_age_seconds;  // RetryPolicy.MaximumEventAgeInSeconds
};

// Whether url is an endpoint Arcana can deliver to: "http://" or "https://", a host, no
// spaces or control characters, at most 1600 bytes (the model's TargetArn max).
bool IsHttpTargetUrl(const std::string& url);

std::string EncodeTarget(const HttpTarget& t);
// Errors: kInternalServiceError for a document that is not one EncodeTarget wrote.
Result<HttpTarget> DecodeTarget(const std::string& document);

}  // namespace arcana::domain::events
