// A service on the AWS REST-JSON protocol (Lambda): routed by HTTP method and path
// (services/common/rest_json_protocol.h) instead of X-Amz-Target; handlers are the same
// JSON-in, JSON-out Call() as every Service's.
#pragma once

#include "services/common/rest_json_protocol.h"
#include "services/common/service.h"

namespace arcana::services {

class RestJsonService : public Service {
 public:
  std::string_view target_prefix() const final { return ""; }  // never matches a target
  virtual const RestJsonProtocol& rest() const = 0;
  // The service's wire spelling of every error code (one table per service).
  virtual RestWireError ErrorOf(ErrorCode code) const = 0;
};

}  // namespace arcana::services
