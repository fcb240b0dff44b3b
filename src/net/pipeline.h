// The request pipeline. Routing sends AWS API calls (POST with X-Amz-Target) through the
// stage objects of net/api_stages.h: resolve -> admit -> authenticate -> decode ->
// authorize -> audit-ready -> dispatch -> encode, then audit (the answer leaves only once
// its record is durable) and count (metrics). The thread that ran the call does not wait
// for the audit record: the trail's writer hands the answer back (HandleAsync) once its batch is durable,
// so a thread is not parked (and woken: two context switches) per call during the fsync. It also answers the
// operator endpoints (/_arcana/health, /metrics, and in dev mode only /_arcana/reset, its
// moto alias and the fault hooks of net/dev_fault_hooks.h). Services plug in by
// X-Amz-Target prefix. A read that this node's caches can answer may run on the I/O thread
// that parsed it (TryHandleInline); every other call, and any read that needs the
// database, runs on a worker.
// Exception barrier: HandleAsync(), Handle(), TooLarge() and Malformed() never throw. Whatever a stage, a service or
// an operator hook throws is caught, logged (type and what(), no request values) and
// answered as InternalFailure (HTTP 500); an API call that threw is still counted and
// audited.
// Thread-safety: HandleAsync() runs concurrently on every worker thread (net/worker_pool.h);
// TryHandleInline(), AnswersInline(), Handle() of what it accepts, TooLarge(), Malformed()
// and Throttled() on I/O threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "audit/audit_trail.h"
#include "auth/authenticator.h"
#include "auth/authorizer.h"
#include "crypto/root_key.h"
#include "net/api_call.h"
#include "net/api_stages.h"
#include "net/http_types.h"
#include "net/metrics.h"
#include "services/common/service.h"

namespace arcana::net {

struct PipelineOptions {
  // Dev mode: the reset endpoints and fault hooks exist, and every request a web page could
  // have sent (net/dev_browser_guard.h) is refused with AccessDenied (403) before routing.
  bool dev = false;
  std::function<Status()> reset;  // dev-mode wipe of all state
  // Root of trust (seal/): API calls are refused (503) while `root` is sealed, and each one
  // holds the root key generation it runs under, so a rotation can wait for it. Null: no gate.
  const crypto::RootKey* root = nullptr;
  // Whether the store can be reached now (storage::Stores::reachable): the health answer
  // says "store unavailable" (503) while it cannot. Unset: always.
  std::function<bool()> store_reachable;
  // Operator endpoints (seal/operator_api.h); returns true when it answered the request.
  std::function<bool(HttpRequest&, HttpResponse&)> operator_api;  // may wipe req.body
  // The change stream for caching agents (net/change_stream_api.h); true when it answered.
  std::function<bool(HttpRequest&, HttpResponse&)> change_stream;
  // Unauthenticated GETs of the token issuers' OpenID Connect documents
  // (auth/web_identity_issuer.h); true when it answered.
  std::function<bool(HttpRequest&, HttpResponse&)> oidc_issuer;
  // Try cached reads on the I/O thread (TryHandleInline). Only where the caches' freshness
  // check needs no round trip (storage/change_log.h HeadIsLocal: SQLite); with PostgreSQL
  // every attempt would be refused at that check.
  bool answer_reads_inline = false;
};

class Pipeline {
 public:
  Pipeline(PipelineOptions opts, const auth::Authenticator& authn, const auth::Authorizer& authz,
           audit::AuditTrail& audit);

  void AddService(services::Service* service);  // not owned; registered before serving
  void SetReady(bool ready) { ready_ = ready; }

  // Answers `req` through `done`, called exactly once, on any thread: at once for all but
  // an API call, and for an API call once its audit record is durable (on the audit writer's
  // thread; the worker is free meanwhile). `req` must live until `done` runs.
  using Done = std::function<void(std::unique_ptr<HttpResponse>)>;
  void HandleAsync(HttpRequest& req, std::unique_ptr<HttpResponse> res, Done done);
  // HandleAsync, waiting for the answer (inline requests on I/O threads, tests).
  void Handle(HttpRequest& req, HttpResponse& res);
  // On an I/O thread, before the request goes to a worker: answers a read from this node's
  // caches right there when it can (PipelineOptions::answer_reads_inline, an operation its
  // service lets run inline: services/common/service.h MayAnswerInline). The attempt runs
  // under a storage::NoWaitScope: the first store call that would reach the database
  // voids it, and it returns false having recorded, counted and answered nothing, with
  // `done` untouched: the caller hands the request to a worker, which runs it from the
  // start. True: `done` was taken and is called as by HandleAsync. Never throws.
  // Why: a handler on a worker costs two thread hand-offs (I/O -> worker -> I/O), about as
  // much as the cached read itself; the scope keeps the rule that an I/O thread never waits
  // for the database.
  bool TryHandleInline(HttpRequest& req, Done& done);
  // True for the requests cheap and non-blocking enough for an I/O thread (GET health and
  // metrics: a few atomics, one short lock), so probes answer even while workers are busy.
  bool AnswersInline(const HttpRequest& req) const;
  // The response for a body over the limit (the server never buffers it).
  void TooLarge(HttpResponse& res);
  // The response for a request the HTTP parser refused (net/http_server.h, `malformed`):
  // SerializationException, with the server's status (400; 431 for a header block over its
  // limit). Counted in the metrics and recorded (RecordRefusal).
  void Malformed(int status, std::string_view what, HttpResponse& res);
  // The response when the worker queue is full (admission control): ThrottlingException,
  // HTTP 400, "Rate exceeded", which the AWS SDKs retry with backoff. Counted in the
  // metrics and recorded (RecordRefusal), as CloudTrail records throttled calls.
  void Throttled(HttpRequest& req, HttpResponse& res);

 private:
  // Dev mode only: answers a request net/dev_browser_guard.h refuses (AccessDenied, HTTP
  // 403, in the protocol of the service it names; counted and recorded as Throttled's).
  // False when the request may be served.
  bool RefusedInDevMode(HttpRequest& req, HttpResponse& res);
  // Everything but the API calls; false (nothing answered) for an API call.
  bool Route(HttpRequest& req, HttpResponse& res);
  void HandleApi(HttpRequest& req, std::unique_ptr<HttpResponse> res, Done done);
  void StartCall(ApiCall& call);  // start time, request id, clock
  // The request stages from stages_[first] on, behind the exception barrier.
  void RunStages(HttpRequest& req, ApiCall& call, size_t first);
  // Encode, then audit; `done` gets the answer once the record is durable (or refused).
  void Conclude(HttpRequest& req, ApiCall& call, std::unique_ptr<HttpResponse> res, Done done);
  void SendInternalFailure(HttpResponse& res, const std::string& request_id);
  // Records a request refused before any stage ran (net/api_audit.h RefusedRequestEvent)
  // without waiting for it: these paths run on I/O threads, the throttled one when the node
  // is overloaded. Handing the record to the trail is an enqueue (the file sink's writer
  // makes it durable); the answer does not wait for it (fail-open). At most
  // kRefusalRecordsPerSecond a second: beyond that refusals are only counted, and the next
  // second's first record is preceded by a RefusedRequestsNotRecorded service event naming
  // how many were not (so a flood cannot turn the trail into the bottleneck).
  void RecordRefusal(const HttpRequest* req, const ApiCall& call, const std::string& request_id,
                     std::string error_code, std::string message);
  void RecordRefusalNow(const HttpRequest* req, const ApiCall& call,
                        const std::string& request_id, std::string error_code,
                        std::string message, int64_t now_ms);
  static constexpr int kRefusalRecordsPerSecond = 100;
  std::atomic<int64_t> refusal_second_{0};
  std::atomic<int> refusals_this_second_{0};
  std::atomic<uint64_t> refusals_unrecorded_{0};

  PipelineOptions opts_;
  std::vector<services::Service*> services_;
  Metrics metrics_;
  std::atomic<bool> ready_{false};
  // The API call's stages, in order (declared after what they reference).
  std::vector<std::unique_ptr<ApiStage>> stages_;
  ResponseEncoder encoder_;
  CallRecorder recorder_;
};

}  // namespace arcana::net
