// The AWS REST-JSON protocol (Lambda): the operation is the HTTP method and a path template
// (`/2015-03-31/functions/{FunctionName}/invocations`), and input members travel in the path
// (`location: uri`), the query string (`querystring`), headers (`header`) or the JSON body; a
// `payload` blob member is the raw body. Translated to and from the same JSON values every
// handler works with, using the service's botocore model (models/<name>.json):
// - Match: method + path -> operation and its path labels (percent-decoded), among the
//   operations the service serves. A trailing slash is not significant.
// - Decode: the operation's input as one JSON object (labels, query members and headers
//   typed by the model: integers and booleans parsed; a blob payload as base64), which the
//   ModelValidator then checks like any JSON body.
// - Encode: a handler's JSON answer becomes the HTTP answer: a `statusCode` member sets the
//   status (else the model's responseCode, else 200), `header` members become headers, a
//   blob payload member the raw body (base64-decoded), the other members the JSON body.
// - Errors (RestJsonService::ErrorOf says which code is which wire error): the
//   `X-Amzn-ErrorType` header and {"Type":"User"|"Service","Message","message"}.
// Bounded: at most kMaxQueryParams query parameters; numbers must parse whole.
// Thread-safety: immutable after construction.
#pragma once

#include <rapidjson/document.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::services {

// What Decode needs of an HTTP request (filled by the pipeline; a handler never sees HTTP).
struct RestRequest {
  std::string_view method;
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded, in order
  std::function<std::string_view(std::string_view)> header;  // "" when absent
  std::string_view body;
};

// The HTTP answer of a REST call.
struct RestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type = "application/json";
  std::string body;
};

struct RestRoute {
  std::string operation;
  std::map<std::string, std::string> labels;  // {FunctionName} -> its decoded value
};

// How a service spells an error on the wire.
struct RestWireError {
  std::string type;  // X-Amzn-ErrorType
  int http_status;
  bool sender;  // "User" (the caller's fault) or "Service"
  // The error's "Reason" member when not empty (Lambda's TooManyRequestsException: a
  // ThrottleReason such as "ConcurrentInvocationLimitExceeded").
  std::string reason = {};
  // Seconds to wait before retrying, as the Retry-After header (the model's
  // retryAfterSeconds) when not empty.
  std::string retry_after = {};
};

class RestJsonProtocol {
 public:
  static constexpr size_t kMaxQueryParams = 64;

  // model_name: an embedded model ("lambda"); served: the operations the service handles.
  // Every other operation of the model is routed too, after them: the service answers it
  // (as an operation it does not support).
  RestJsonProtocol(std::string_view model_name, std::vector<std::string> served);
  ~RestJsonProtocol();

  std::optional<RestRoute> Match(std::string_view method, std::string_view path) const;
  // kSerialization for a body that is not a JSON object or a parameter that does not parse.
  Status Decode(const RestRoute& route, const RestRequest& req, rapidjson::Document* out) const;
  // kInternalFailure when the handler's answer is not a JSON object (a defect).
  Status EncodeResponse(std::string_view operation, std::string_view json,
                        RestResponse* out) const;
  // The model's pattern of an input member ("" when the operation, member or pattern is not
  // modelled): services quote it in AWS's "Member must satisfy regular expression pattern".
  std::string MemberPattern(std::string_view operation, std::string_view member) const;
  // The error body {"Type", message}: the message under the member name the model's error
  // shape declares (Lambda has both "Message" and "message" shapes, and AWS answers each as
  // modelled); an error the model does not declare carries both spellings.
  RestResponse EncodeError(const RestWireError& wire, const std::string& message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace arcana::services
