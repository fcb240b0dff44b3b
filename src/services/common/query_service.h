// A service on the AWS Query protocol (IAM, STS): routed by the credential scope's service
// (its signing name) and the form's `Action` instead of X-Amz-Target, answered in XML
// (services/common/query_protocol.h). Handlers are the same JSON-in, JSON-out Call() as
// every Service's.
#pragma once

#include "services/common/query_protocol.h"
#include "services/common/service.h"

namespace arcana::services {

class QueryService : public Service {
 public:
  std::string_view target_prefix() const final { return ""; }  // never matches a target
  virtual const QueryProtocol& query() const = 0;
};

}  // namespace arcana::services
