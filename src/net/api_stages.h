// The stages of an AWS API call, in the order the pipeline runs them:
//   resolve -> admit -> authenticate -> decode -> authorize -> dispatch
// then, whatever happened, encode (the HTTP answer) and record (metrics and audit).
// Each stage is one small object with its dependencies given at construction; the order and
// the error handling between them live in net/pipeline.cc.
// Thread-safety: every stage is immutable after construction (the ones it references are
// thread-safe), so one instance serves every worker and I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "audit/audit_trail.h"
#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "crypto/root_key.h"
#include "net/api_call.h"
#include "net/metrics.h"

namespace arcana::net {

// A Query-protocol call (IAM, STS): a form-encoded POST without X-Amz-Target, or a GET or
// POST of "/" whose query string names the Action (a presigned URL, such as the STS
// GetCallerIdentity URLs handed to another party as proof of identity).
bool IsQueryRequest(const HttpRequest& req);
// A request without X-Amz-Target whose method and path a REST-JSON service (Lambda) routes.
bool IsRestRequest(const HttpRequest& req, const std::vector<services::Service*>& services);
// The wire's name of a call's error (metrics, audit): as its protocol spells it (query:
// IAM/STS, rest: Lambda, neither: the JSON services' table); "" for OK.
std::string WireErrorType(const Status& st, const services::QueryProtocol* query,
                          const services::RestJsonService* rest);

// X-Amz-Target (or credential scope service + Action) -> service and operation. Never fails: an unknown target is admission's
// refusal, after the seal and readiness checks (which a caller sees first).
class ResolveStage final : public ApiStage {
 public:
  explicit ResolveStage(const std::vector<services::Service*>& services) : services_(services) {}
  std::string_view name() const override { return "resolve"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;

 private:
  const std::vector<services::Service*>& services_;  // the pipeline's registry
};

// Refuses what must not run at all: while sealed (taking the root key hold otherwise),
// before the server is ready, and an operation no service models.
class AdmitStage final : public ApiStage {
 public:
  AdmitStage(const crypto::RootKey* root, const std::atomic<bool>& ready)
      : root_(root), ready_(ready) {}
  std::string_view name() const override { return "admit"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;

 private:
  const crypto::RootKey* root_;  // null: no seal gate
  const std::atomic<bool>& ready_;
};

// SigV4 (auth/authenticator.h): who is calling, in which account and region.
class AuthenticateStage final : public ApiStage {
 public:
  explicit AuthenticateStage(const auth::Authenticator& authn) : authn_(authn) {}
  std::string_view name() const override { return "authenticate"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;

 private:
  const auth::Authenticator& authn_;
};

// The body as bounded JSON, validated against the operation's model.
class DecodeStage final : public ApiStage {
 public:
  std::string_view name() const override { return "decode"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;
};

// Equips the call for authorization: the services decide with the resolved resource.
class AuthorizeStage final : public ApiStage {
 public:
  explicit AuthorizeStage(const auth::Authorizer& authz) : authz_(authz) {}
  std::string_view name() const override { return "authorize"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;

 private:
  const auth::Authorizer& authz_;
};

// Refuses a call before its work is done while a fail-closed audit sink knows it cannot
// record it (audit/audit_sink.h: Healthy), so nothing changes that the trail cannot show.
class AuditReadyStage final : public ApiStage {
 public:
  explicit AuditReadyStage(const audit::AuditTrail& trail) : trail_(trail) {}
  std::string_view name() const override { return "audit-ready"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;

 private:
  const audit::AuditTrail& trail_;
};

// The service's handler: the call's answer into call.output.
class DispatchStage final : public ApiStage {
 public:
  std::string_view name() const override { return "dispatch"; }
  Status Run(HttpRequest& req, ApiCall& call) const override;
};

// The HTTP answer of a finished call: 200 with the service's JSON, or the AWS error
// (status, X-Amzn-ErrorType, {"__type","message"}).
class ResponseEncoder {
 public:
  void Encode(ApiCall& call, HttpResponse& res) const;  // moves call.output
  // An AWS error response for `st` (also used outside API calls: too large, throttled); in
  // the query protocol's XML when `query` is given (a call resolved to IAM or STS).
  static void EncodeError(HttpResponse& res, const std::string& request_id, const Status& st,
                          const services::QueryProtocol* query = nullptr,
                          const services::RestJsonService* rest = nullptr);

 private:
  // Query services: the XML answer or XML error (services/common/query_protocol.h).
  void EncodeQuery(ApiCall& call, HttpResponse& res) const;
  // REST-JSON services: status, headers and body from the model (rest_json_protocol.h).
  void EncodeRest(ApiCall& call, HttpResponse& res) const;
};

// What a finished call leaves for its metrics (and, should its audit record be refused, for
// the error that replaces its answer) once the ApiCall itself is gone.
struct CallOutcome {
  std::string op_name;
  std::string request_id;
  const services::QueryProtocol* query = nullptr;
  const services::RestJsonService* rest = nullptr;
  Status status;
  std::chrono::steady_clock::time_point started;
};

// The audit stage and the metrics of a finished call. RecordOf builds the call's record
// (net/api_audit.h; before the answer is encoded, which takes the call's output); AuditAsync
// hands it to the trail, and `done` runs once every fail-closed sink has it durable (OK), or
// with the error (kServiceUnavailable) that replaces the call's answer.
// Metric labels are the known operation or "unknown", and an error type from the fixed AWS
// error table.
class CallRecorder {
 public:
  CallRecorder(Metrics& metrics, audit::AuditTrail& audit) : metrics_(metrics), audit_(audit) {}
  static audit::AuditEvent RecordOf(const HttpRequest& req, const ApiCall& call);
  // `done`: exactly once, on any thread (audit/audit_trail.h RecordAsync).
  void AuditAsync(const audit::AuditEvent& record, std::function<void(Status)> done) const;
  static CallOutcome OutcomeOf(const ApiCall& call);
  void Count(const CallOutcome& outcome) const;

 private:
  Metrics& metrics_;
  audit::AuditTrail& audit_;
};

}  // namespace arcana::net
