#include "net/pipeline.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <cstdio>
#include <random>

#include "common/json.h"
#include "crypto/random.h"
#include "net/dev_browser_guard.h"
#include "net/dev_fault_hooks.h"
#include "net/exception_barrier.h"
#include "audit/audit_event.h"
#include "net/api_audit.h"
#include "services/common/aws_error.h"
#include "services/common/current_call.h"
#include "storage/change_follower.h"
#include "storage/committed_changes.h"
#include "storage/no_wait.h"

namespace arcana::net {
namespace {

// Request ids need uniqueness, not secrecy: a per-thread generator seeded from the CSPRNG
// keeps RAND_bytes (and its getpid check) off the hot path.
std::string NewRequestId() {
  thread_local std::mt19937_64 gen = [] {
    std::string seed = crypto::RandomBytes(16);
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  uint64_t a = gen(), b = gen();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  char buf[37];
  std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                static_cast<unsigned>(a >> 32), static_cast<unsigned>((a >> 16) & 0xffff),
                static_cast<unsigned>(a & 0xffff), static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Pipeline::Pipeline(PipelineOptions opts, const auth::Authenticator& authn,
                   const auth::Authorizer& authz, audit::AuditTrail& audit)
    : opts_(std::move(opts)), recorder_(metrics_, audit) {
  stages_.push_back(std::make_unique<ResolveStage>(services_));
  stages_.push_back(std::make_unique<AdmitStage>(opts_.root, ready_));
  stages_.push_back(std::make_unique<AuthenticateStage>(authn));
  stages_.push_back(std::make_unique<DecodeStage>());
  stages_.push_back(std::make_unique<AuthorizeStage>(authz));
  stages_.push_back(std::make_unique<AuditReadyStage>(audit));
  stages_.push_back(std::make_unique<DispatchStage>());
}

void Pipeline::AddService(services::Service* service) { services_.push_back(service); }

void Pipeline::RecordRefusal(const HttpRequest* req, const ApiCall& call,
                             const std::string& request_id, std::string error_code,
                             std::string message) {
  const int64_t now_ms = NowMs();
  const int64_t second = now_ms / 1000;
  int64_t seen = refusal_second_.load(std::memory_order_relaxed);
  if (seen != second && refusal_second_.compare_exchange_strong(seen, second)) {
    refusals_this_second_.store(0, std::memory_order_relaxed);
  }
  if (refusals_this_second_.fetch_add(1, std::memory_order_relaxed) >= kRefusalRecordsPerSecond) {
    refusals_unrecorded_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // A sink that would read the store to decide whether it wants the record (the event bus)
  // takes it instead: an I/O thread never waits for the database. A record that cannot be
  // made never changes the answer.
  try {
    storage::NoWaitScope no_wait;
    RecordRefusalNow(req, call, request_id, std::move(error_code), std::move(message), now_ms);
  } catch (...) {
    LogCaughtException("refusal record", request_id);
  }
}

void Pipeline::RecordRefusalNow(const HttpRequest* req, const ApiCall& call,
                                const std::string& request_id, std::string error_code,
                                std::string message, int64_t now_ms) {
  if (const uint64_t skipped = refusals_unrecorded_.exchange(0); skipped > 0) {
    audit::AuditEvent summary = audit::ServiceEvent(
        "arcana.internal", "RefusedRequestsNotRecorded", "", "", now_ms);
    summary.service_event_details = "{\"refusedRequestsNotRecorded\":" +
                                    std::to_string(skipped) + ",\"limitPerSecond\":" +
                                    std::to_string(kRefusalRecordsPerSecond) + "}";
    recorder_.AuditAsync(summary, [](Status) {});
  }
  recorder_.AuditAsync(RefusedRequestEvent(req, call, request_id, std::move(error_code),
                                           std::move(message), now_ms),
                       [](Status) {});
}

void Pipeline::TooLarge(HttpResponse& res) {
  std::string request_id = NewRequestId();
  try {
    const Status refused(ErrorCode::kRequestEntityTooLarge,
                         "Request body is larger than the 1 MiB limit");
    ResponseEncoder::EncodeError(res, request_id, refused);
    metrics_.Record("unknown", "RequestEntityTooLargeException", 0);
    RecordRefusal(nullptr, ApiCall{}, request_id, WireErrorType(refused, nullptr, nullptr),
                  refused.message());
  } catch (...) {
    LogCaughtException("too-large response", request_id);
    res = HttpResponse{};
    res.status = 413;
  }
}

void Pipeline::Malformed(int status, std::string_view what, HttpResponse& res) {
  std::string request_id = NewRequestId();
  try {
    // AWS names no error for a request its HTTP front end cannot read; SerializationException
    // is what the JSON protocols answer for a request they cannot parse.
    const Status refused(ErrorCode::kSerialization,
                         "Could not parse the HTTP request: " + std::string(what));
    ResponseEncoder::EncodeError(res, request_id, refused);
    res.status = status;  // 431 for a header block over its limit, as 413 for a body
    metrics_.Record("unknown", "SerializationException", 0);
    RecordRefusal(nullptr, ApiCall{}, request_id, WireErrorType(refused, nullptr, nullptr),
                  refused.message());
  } catch (...) {
    LogCaughtException("malformed-request response", request_id);
    res = HttpResponse{};
    res.status = status;
  }
}

void Pipeline::Throttled(HttpRequest& req, HttpResponse& res) {
  std::string request_id = NewRequestId();
  try {
    // The label is the operation only when a service models it (as for every API call).
    ApiCall call;
    (void)ResolveStage(services_).Run(req, call);
    const Status refused(ErrorCode::kThrottling, "Rate exceeded");
    ResponseEncoder::EncodeError(res, request_id, refused, call.query, call.rest);
    metrics_.Record(call.op_name, "ThrottlingException", 0);
    RecordRefusal(&req, call, request_id, WireErrorType(refused, call.query, call.rest),
                  refused.message());
  } catch (...) {
    LogCaughtException("throttled response", request_id);
    res = HttpResponse{};
    res.status = 503;
  }
}

bool Pipeline::RefusedInDevMode(HttpRequest& req, HttpResponse& res) {
  if (!opts_.dev) return false;
  std::optional<std::string> why = DevModeRefusal(req);
  if (!why) return false;
  std::string request_id = NewRequestId();
  // In the protocol of the service the request names, so an SDK reads the refusal.
  ApiCall call;
  (void)ResolveStage(services_).Run(req, call);
  const Status refused(ErrorCode::kAccessDenied, std::move(*why));
  ResponseEncoder::EncodeError(res, request_id, refused, call.query, call.rest);
  res.status = 403;  // as AWS answers an unauthenticated caller (the JSON table says 400)
  const std::string wire = WireErrorType(refused, call.query, call.rest);
  metrics_.Record(call.op_name, wire, 0);
  RecordRefusal(&req, call, request_id, wire, refused.message());
  return true;
}

namespace {
// GET, or HEAD: the same answer without its body (the server leaves the body out).
bool IsGetOrHead(const HttpRequest& req) { return req.method == "GET" || req.method == "HEAD"; }
}  // namespace

bool Pipeline::AnswersInline(const HttpRequest& req) const {
  if (!IsGetOrHead(req)) return false;
  std::string_view path = req.Path();
  return path == "/_arcana/health" || path == "/metrics";
}

void Pipeline::HandleAsync(HttpRequest& req, std::unique_ptr<HttpResponse> res, Done done) {
  // The barrier of everything outside the API stages (operator endpoints, reset, metrics,
  // routing); HandleApi keeps its own so that a failed call is still counted and audited.
  try {
    if (!RefusedInDevMode(req, *res) && !Route(req, *res)) {
      return HandleApi(req, std::move(res), std::move(done));
    }
  } catch (...) {
    std::string request_id = NewRequestId();
    LogCaughtException("request routing", request_id);  // the path is caller input: not logged
    SendInternalFailure(*res, request_id);
  }
  done(std::move(res));
}

void Pipeline::Handle(HttpRequest& req, HttpResponse& res) {
  std::promise<std::unique_ptr<HttpResponse>> answered;
  auto answer = answered.get_future();
  HandleAsync(req, std::make_unique<HttpResponse>(),
              [&answered](std::unique_ptr<HttpResponse> r) { answered.set_value(std::move(r)); });
  res = std::move(*answer.get());
}

void Pipeline::SendInternalFailure(HttpResponse& res, const std::string& request_id) {
  res = HttpResponse{};  // drop whatever the failed stage had started to answer
  try {
    ResponseEncoder::EncodeError(res, request_id, InternalFailureStatus());
  } catch (...) {
    res = HttpResponse{};
    res.status = 500;  // no memory even for the error body: an empty 500
  }
}

bool Pipeline::Route(HttpRequest& req, HttpResponse& res) {
  std::string_view path = req.Path();
  if (IsGetOrHead(req) && path == "/_arcana/health") {
    const bool sealed = opts_.root != nullptr && opts_.root->sealed();
    const bool unreachable = opts_.store_reachable && !opts_.store_reachable();
    res.status = ready_ && !sealed && !unreachable ? 200 : 503;
    res.Set("Content-Type", "application/json");
    res.body = !ready_        ? R"({"status":"starting"})"
               : sealed       ? R"({"status":"sealed"})"
               : unreachable  ? R"({"status":"store unavailable"})"
                              : R"({"status":"ok"})";
    return true;
  }
  if (opts_.operator_api && opts_.operator_api(req, res)) return true;
  if (opts_.change_stream && opts_.change_stream(req, res)) return true;
  if (opts_.oidc_issuer && opts_.oidc_issuer(req, res)) return true;
  if (IsGetOrHead(req) && path == "/metrics") {
    res.Set("Content-Type", "text/plain; version=0.0.4");
    res.body = metrics_.RenderPrometheus();
    return true;
  }
  if (path == "/_arcana/reset" || path == "/moto-api/reset") {
    // Only reachable in dev mode: everywhere else the endpoint does not exist.
    if (!opts_.dev || req.method != "POST" || !opts_.reset) {
      res.status = 404;
      res.body = "Not Found";
      return true;
    }
    Status st = opts_.reset();
    res.status = st.ok() ? 200 : 500;
    res.Set("Content-Type", "application/json");
    res.body = st.ok() ? R"({"status":"reset"})" : services::ErrorBody(st);
    spdlog::warn("dev mode: all state wiped by POST {}", path);
    return true;
  }
  if (path == kDevFaultPath) {
    // Test hooks (throw, sleep) for the barrier and shutdown tests: dev mode only.
    if (!opts_.dev || req.method != "POST") {
      res.status = 404;
      res.body = "Not Found";
      return true;
    }
    RunDevFault(req, res);
    return true;
  }
  if ((req.method == "POST" && !req.Header("X-Amz-Target").empty()) || IsQueryRequest(req) ||
      IsRestRequest(req, services_)) {
    return false;  // an API call
  }
  res.status = req.method == "POST" ? 400 : 404;
  std::string request_id = NewRequestId();
  if (req.method == "POST") {
    const Status refused(ErrorCode::kUnknownOperation, "Missing X-Amz-Target header");
    ResponseEncoder::EncodeError(res, request_id, refused);
    RecordRefusal(&req, ApiCall{}, request_id, WireErrorType(refused, nullptr, nullptr),
                  refused.message());
  } else {
    res.body = "Not Found";
  }
  return true;
}

namespace {

// An API call's answer waiting for its audit record: sent by whichever thread learns the
// record's fate (the audit writer, or the worker when the record could not even be built).
struct AwaitingAudit {
  CallOutcome outcome;
  std::unique_ptr<HttpResponse> res;
  Pipeline::Done done;
  std::atomic<bool> finished{false};
};

}  // namespace

void Pipeline::StartCall(ApiCall& call) {
  call.started = std::chrono::steady_clock::now();
  call.ctx.request_id = NewRequestId();
  // The audit record's eventID, known from the start so a handler can name it.
  call.ctx.event_id = audit::NewEventId();
  call.ctx.now_ms = NowMs();
  call.ctx.touched = &call.touched;
}

void Pipeline::RunStages(HttpRequest& req, ApiCall& call, size_t first) {
  // Code below the handlers that acts for this call names it (services/common/current_call.h).
  services::CurrentCall::Scope current_call(call.ctx);
  try {
    for (size_t i = first; i < stages_.size(); ++i) {
      call.status = stages_[i]->Run(req, call);
      if (!call.status.ok()) break;
    }
  } catch (...) {
    // The exception barrier: one failed call, an InternalFailure, and the server serves on.
    LogCaughtException(call.op_name, call.ctx.request_id);
    call.status = InternalFailureStatus();
    call.input_usable = false;  // a throw may have left the document half-built
  }
}

void Pipeline::HandleApi(HttpRequest& req, std::unique_ptr<HttpResponse> res, Done done) {
  // One freshness check of this node's caches serves the whole call (authentication, then
  // the service's reads): any write acknowledged before the call began is seen, on any
  // node (storage/change_follower.h).
  storage::ChangeFollower::FreshnessScope fresh_as_of_now;
  ApiCall call;
  StartCall(call);
  storage::CommittedChanges::Scope collect_changes(&call.committed);
  RunStages(req, call, 0);
  Conclude(req, call, std::move(res), std::move(done));
}

bool Pipeline::TryHandleInline(HttpRequest& req, Done& done) {
  if (!opts_.answer_reads_inline) return false;
  // Only what Route() would take for a JSON-protocol API call whatever its other checks: the
  // SDKs post to "/" (the operator, reset and change-stream endpoints have paths of their own).
  if (req.method != "POST" || req.Path() != "/" || req.Header("X-Amz-Target").empty()) {
    return false;
  }
  // A request dev mode refuses is answered by a worker (HandleAsync), never run here.
  if (opts_.dev && DevModeRefusal(req)) return false;
  try {
    ApiCall call;
    // Resolved first: a call that may not run inline (a write, a list) leaves here, before
    // any other work on the I/O thread.
    if (!stages_.front()->Run(req, call).ok() || !call.known ||
        !call.service->MayAnswerInline(call.operation)) {
      return false;
    }
    storage::ChangeFollower::FreshnessScope fresh_as_of_now;
    storage::NoWaitScope no_wait;
    StartCall(call);
    storage::CommittedChanges::Scope collect_changes(&call.committed);
    RunStages(req, call, 1);
    // Something needed the database: nothing was recorded or counted yet, so the attempt
    // leaves no trace, and a worker runs the call from the start.
    if (no_wait.refused()) {
      metrics_.CountInlineAttempt(false);
      return false;
    }
    metrics_.CountInlineAttempt(true);
    // Still under the scope: a sink that would read the store to decide whether it wants
    // the record (the event bus, its rules not cached) is refused and takes it.
    Conclude(req, call, std::make_unique<HttpResponse>(), std::move(done));
    return true;
  } catch (...) {
    // Only an allocation can throw outside the stages' barrier, and only before Conclude
    // calls `done` (after that it catches everything): nothing was answered, recorded or
    // counted, so a worker runs the call again.
    LogCaughtException("inline attempt", "-");
    return false;
  }
}

void Pipeline::Conclude(HttpRequest& req, ApiCall& call, std::unique_ptr<HttpResponse> res,
                        Done done) {
  auto waiting = std::make_shared<AwaitingAudit>();
  waiting->res = std::move(res);
  waiting->done = std::move(done);
  call.hold.reset();  // the call's work is done: a root rotation need not wait for the audit
  std::optional<audit::AuditEvent> record;
  try {
    record = CallRecorder::RecordOf(req, call);  // before Encode takes the call's output
  } catch (...) {
    LogCaughtException("audit", call.ctx.request_id);
  }
  // Encoded here, on the thread that ran the call; the audit's completion only sends it, or
  // replaces it with the refusal when the record cannot be made durable.
  encoder_.Encode(call, *waiting->res);
  waiting->outcome = CallRecorder::OutcomeOf(call);
  // The audit stage: the answer leaves only once its record is durable (fail-closed sinks);
  // a call that cannot be recorded is refused, whatever it did.
  auto finish = [this, waiting](Status audited) {
    if (waiting->finished.exchange(true)) return;
    try {
      if (!audited.ok()) {
        waiting->outcome.status = audited;
        *waiting->res = HttpResponse{};
        ResponseEncoder::EncodeError(*waiting->res, waiting->outcome.request_id, audited,
                                     waiting->outcome.query, waiting->outcome.rest);
      }
      recorder_.Count(waiting->outcome);
    } catch (...) {
      LogCaughtException("audit completion", waiting->outcome.request_id);
      SendInternalFailure(*waiting->res, waiting->outcome.request_id);
    }
    waiting->done(std::move(waiting->res));
  };
  const Status unrecorded(ErrorCode::kServiceUnavailable,
                          "The audit trail failed to record this call.");
  if (!record) return finish(unrecorded);
  try {
    recorder_.AuditAsync(*record, finish);
  } catch (...) {  // `finished` makes a second call of finish harmless
    LogCaughtException("audit", call.ctx.request_id);
    finish(unrecorded);
  }
}

}  // namespace arcana::net
