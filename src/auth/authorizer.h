// The pipeline's authorize stage. Today every authenticated caller is allowed; the
// access-control issue replaces AllowAll with IAM-style identity and resource policies
// (with ABAC conditions) without any handler changing.
#pragma once

#include <rapidjson/document.h>

#include <string_view>

#include "common/status.h"
#include "services/common/service.h"

namespace arcana::auth {

class Authorizer {
 public:
  virtual ~Authorizer() = default;
  // OK, or kAccessDenied.
  virtual Status Authorize(const services::CallContext& ctx, std::string_view service,
                           std::string_view operation, const rapidjson::Value& input) const = 0;
};

class AllowAllAuthorizer : public Authorizer {
 public:
  Status Authorize(const services::CallContext&, std::string_view, std::string_view,
                   const rapidjson::Value&) const override {
    return Status::Ok();
  }
};

}  // namespace arcana::auth
