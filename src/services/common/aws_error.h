// The one table from ErrorCode to the AWS wire: the `__type` string and the HTTP status.
// Every error response in every service is built from here, so a code is spelled once.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana::services {

struct AwsErrorInfo {
  std::string_view type;  // `__type` and X-Amzn-ErrorType
  int http_status;
};

AwsErrorInfo LookupError(ErrorCode code);

// {"__type": ..., "Message": ...} for Secrets Manager's modelled exceptions,
// {"__type": ..., "message": ...} for ValidationException, as AWS sends them; other codes
// carry both keys (clients read either, spec 1.5). An empty message is left out entirely
// ({"__type": ...}), as AWS does for errors it sends without one.
std::string ErrorBody(const Status& status);

}  // namespace arcana::services
