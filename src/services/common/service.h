// What the request pipeline needs from an AWS service plug-in (secretsmanager/, kms/,
// ssm/): its X-Amz-Target prefix, its SigV4 signing name, its model validator and one
// entry point. A handler receives a validated JSON object and the authenticated caller,
// and returns the response body or an error Status; it never sees HTTP.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "common/status.h"
#include "services/common/model_validator.h"

namespace arcana::services {

// Who is calling, where, and when. Filled by the authenticate stage.
struct CallContext {
  std::string request_id;
  std::string account;        // 12 digits
  std::string region;         // from the SigV4 credential scope
  std::string principal_arn;  // e.g. arn:aws:iam::123456789012:root
  std::string access_key_id;
  int64_t now_ms = 0;
  // The caller as the policy engine sees it (auth/principal.h): identity policies, tags,
  // boundary and session policies. Set by the authenticate stage with the fields above.
  std::shared_ptr<const auth::Principal> principal;
};

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view target_prefix() const = 0;  // "secretsmanager"
  virtual std::string_view signing_name() const = 0;   // "secretsmanager"
  virtual const ModelValidator& validator() const = 0;
  // The JSON body of a 200 response, or the error to send.
  virtual Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                                   const CallContext& ctx) = 0;
};

}  // namespace arcana::services
