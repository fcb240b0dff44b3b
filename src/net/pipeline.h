// The request pipeline, with named stages: parse -> authenticate -> authorize -> handle
// -> audit. It also answers the operator endpoints (/_arcana/health, /metrics, and in dev
// mode only /_arcana/reset, its moto alias and the fault hooks of net/dev_fault_hooks.h).
// Services plug in by X-Amz-Target prefix.
// Exception barrier: Handle() and TooLarge() never throw. Whatever a stage, a service or
// an operator hook throws is caught, logged (type and what(), no request values) and
// answered as InternalFailure (HTTP 500); an API call that threw is still counted and
// audited.
// Thread-safety: Handle() runs concurrently on every I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "crypto/root_key.h"
#include "net/http_types.h"
#include "net/metrics.h"
#include "services/common/service.h"

namespace arcana::net {

struct PipelineOptions {
  bool dev = false;
  std::function<Status()> reset;  // dev-mode wipe of all state
  // Root of trust (seal/): API calls are refused (503) while `root` is sealed, and each one
  // holds the root key generation it runs under, so a rotation can wait for it. Null: no gate.
  const crypto::RootKey* root = nullptr;
  // Operator endpoints (seal/operator_api.h); returns true when it answered the request.
  std::function<bool(HttpRequest&, HttpResponse&)> operator_api;  // may wipe req.body
};

class Pipeline {
 public:
  Pipeline(PipelineOptions opts, const auth::Authenticator& authn, const auth::Authorizer& authz,
           audit::AuditSink& audit);

  void AddService(services::Service* service);  // not owned; registered before serving
  void SetReady(bool ready) { ready_ = ready; }

  void Handle(HttpRequest& req, HttpResponse& res);
  // The response for a body over the limit (the server never buffers it).
  void TooLarge(HttpResponse& res);

 private:
  // One API call as it moves through the stages.
  struct ApiCall {
    std::chrono::steady_clock::time_point started;
    services::CallContext ctx;
    rapidjson::Document input;
    Status status;
    std::string op_name = "unknown";  // "<prefix>.<Operation>" once known to a service model
    bool input_usable = true;         // false after a throw: the audit names no resource
  };

  void Route(HttpRequest& req, HttpResponse& res);
  void HandleApi(HttpRequest& req, HttpResponse& res);
  void RunApiStages(HttpRequest& req, HttpResponse& res, ApiCall& call);
  void AuditCall(const HttpRequest& req, const HttpResponse& res, const ApiCall& call);
  void SendError(HttpResponse& res, const std::string& request_id, const Status& st);
  void SendInternalFailure(HttpResponse& res, const std::string& request_id);

  PipelineOptions opts_;
  const auth::Authenticator& authn_;
  const auth::Authorizer& authz_;
  audit::AuditSink& audit_;
  std::vector<services::Service*> services_;
  Metrics metrics_;
  std::atomic<bool> ready_{false};
};

}  // namespace arcana::net
