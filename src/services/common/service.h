// What the request pipeline needs from an AWS service plug-in (secretsmanager/, kms/,
// ssm/): its X-Amz-Target prefix, its SigV4 signing name, its model validator and one
// entry point. A handler receives a validated JSON object and the authenticated caller,
// and returns the response body or an error Status; it never sees HTTP.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "audit/touched_resources.h"
#include "auth/policy/request_context.h"
#include "auth/principal.h"
#include "common/status.h"
#include "services/common/model_validator.h"

namespace arcana::auth {
class Authorizer;
}

namespace arcana::services {

// Who is calling, where, and when. Filled by the authenticate stage.
struct CallContext {
  std::string request_id;
  // The eventID its audit record will carry: chosen when the call starts (net/pipeline.cc),
  // so that the handler can name the record of its own call (KMS GetKeyLastUsage's
  // CloudTrailEventId). Empty outside API calls.
  std::string event_id;
  std::string account;        // 12 digits
  std::string region;         // from the SigV4 credential scope
  std::string principal_arn;  // e.g. arn:aws:iam::123456789012:root
  std::string access_key_id;
  int64_t now_ms = 0;
  // The caller as the policy engine sees it (auth/principal.h): identity policies, tags,
  // boundary and session policies. Set by the authenticate stage with the fields above.
  std::shared_ptr<const auth::Principal> principal;
  // Authorization (auth/authorizer.h), set by the authorize stage: the authorizer services
  // ask, the IAM action of the call ("secretsmanager:GetSecretValue"), and the transport's
  // context keys. Null authorizer: nothing is checked (services driven by unit tests).
  const auth::Authorizer* authorizer = nullptr;
  std::string action;
  std::string source_ip;
  bool secure_transport = false;
  // In-process calls made by a service on the caller's behalf (Parameter Store reading a
  // secret, Secrets Manager and Parameter Store using KMS): the service, as kms:ViaService
  // reports it ("secretsmanager.us-east-1.amazonaws.com"); empty on direct calls.
  std::string via_service;
  // Context keys the service derived from the request (secretsmanager:SecretId,
  // aws:RequestTag/K, ...), set by the service for the checks of this call.
  std::shared_ptr<const auth::policy::ContextKeys> request_keys;

  // Where handlers report the resources they actually touched, for the call's audit record
  // (audit/touched_resources.h); null outside API calls (background jobs, tests).
  audit::TouchedResources* touched = nullptr;

  // The call's root-key hold (net::AdmitStage takes it; crypto/root_key.h), for a handler
  // that waits a long time on something using no root key itself (Lambda's synchronous
  // Invoke runs a function for up to its timeout): a root rotation (rotate-root) waits for
  // the holds taken before it began and rolls back when they outlast its wait. As
  // jobs::JobRun's members: release gives the hold back - only where the handler has nothing
  // sealed with the root key (or a key it wraps) that is not committed yet and is in no store
  // transaction; retake takes one of the then-current key generation before the key may be
  // used again, false when the server was sealed meanwhile (the call then holds none and must
  // not use the key). Unset outside API calls and without a seal gate: nothing to manage.
  std::function<void()> release_root_hold;
  std::function<bool()> retake_root_hold;

  void ReleaseRootHold() const {
    if (release_root_hold) release_root_hold();
  }
  // True when the call holds the current generation again (or has no hold to manage).
  [[nodiscard]] bool RetakeRootHold() const { return !retake_root_hold || retake_root_hold(); }

  // type: audit::kSecretType, kKmsKeyType, kParameterType. The account is the ARN's.
  void Touch(const char* type, const std::string& arn) const {
    if (touched == nullptr || arn.empty()) return;
    std::string acct;
    size_t p = 0;
    for (int i = 0; i < 4 && p != std::string::npos; ++i) p = arn.find(':', p + (i ? 1 : 0));
    if (p != std::string::npos) {
      size_t end = arn.find(':', p + 1);
      if (end != std::string::npos) acct = arn.substr(p + 1, end - p - 1);
    }
    touched->Add(type, arn, std::move(acct));
  }
};

// Something a service did by itself (a background job: purge, expiry, automatic rotation),
// for the audit trail (an AwsServiceEvent record). Reported after the change committed.
struct ServiceAction {
  const char* event_name;     // "DeleteSecret", "DeleteKey", "RotateKey", "DeleteParameter", ...
  const char* resource_type;  // audit::kSecretType, ...
  std::string arn;
  std::string account;
  std::string region;
};
using ServiceActionFn = std::function<void(const ServiceAction&)>;

class Service {
 public:
  virtual ~Service() = default;
  virtual std::string_view target_prefix() const = 0;  // "secretsmanager"
  virtual std::string_view signing_name() const = 0;   // "secretsmanager"
  virtual const ModelValidator& validator() const = 0;
  // The JSON body of a 200 response, or the error to send.
  virtual Result<std::string> Call(std::string_view operation, const rapidjson::Value& input,
                                   const CallContext& ctx) = 0;
  // True for an operation the HTTP server may try on its I/O thread (net/pipeline.h:
  // TryHandleInline): a read whose work, once its data is in this node's caches, is small
  // and bounded (no key generation, no asymmetric cryptography, no list of the store), and
  // which changes nothing outside the store before its first store call. Anything it would
  // need from the database sends the whole call to a worker (storage/no_wait.h).
  virtual bool MayAnswerInline(std::string_view operation) const { return false; }
  // True for an operation AWS serves without a SigV4 signature because the request carries
  // its own proof (STS AssumeRoleWithWebIdentity: an identity provider's signed token; the
  // models mark them "authtype": "none"). The authenticate stage then checks no signature
  // and sets no principal: the operation itself must authenticate and authorize its caller.
  virtual bool IsUnsigned(std::string_view operation) const { return false; }
};

}  // namespace arcana::services
