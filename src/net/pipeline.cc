#include "net/pipeline.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "common/json.h"
#include "crypto/random.h"
#include "net/dev_fault_hooks.h"
#include "net/exception_barrier.h"
#include "services/common/aws_error.h"

namespace arcana::net {
namespace {

constexpr const char* kJsonType = "application/x-amz-json-1.1";

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

// The resource an audit record names: the first identifying member present.
std::string ResourceOf(const rapidjson::Value& input) {
  if (!input.IsObject()) return "";
  for (const char* k : {"SecretId", "Name", "KeyId", "ResourceId"}) {
    auto it = input.FindMember(k);
    if (it != input.MemberEnd() && it->value.IsString()) return it->value.GetString();
  }
  return "";
}

}  // namespace

Pipeline::Pipeline(PipelineOptions opts, const auth::Authenticator& authn,
                   const auth::Authorizer& authz, audit::AuditSink& audit)
    : opts_(std::move(opts)), authn_(authn), authz_(authz), audit_(audit) {}

void Pipeline::AddService(services::Service* service) { services_.push_back(service); }

void Pipeline::SendError(HttpResponse& res, const std::string& request_id, const Status& st) {
  auto info = services::LookupError(st.code());
  res.status = info.http_status;
  res.Set("x-amzn-RequestId", request_id);
  res.Set("X-Amzn-ErrorType", std::string(info.type));
  res.Set("Content-Type", kJsonType);
  res.body = services::ErrorBody(st);
}

void Pipeline::TooLarge(HttpResponse& res) {
  std::string request_id = NewRequestId();
  try {
    SendError(res, request_id,
              Status(ErrorCode::kRequestEntityTooLarge,
                     "Request body is larger than the 1 MiB limit"));
    metrics_.Record("unknown", "RequestEntityTooLargeException", 0);
  } catch (...) {
    LogCaughtException("too-large response", request_id);
    res = HttpResponse{};
    res.status = 413;
  }
}

void Pipeline::Handle(HttpRequest& req, HttpResponse& res) {
  // The barrier of everything outside the API stages (operator endpoints, reset, metrics,
  // routing); HandleApi keeps its own so that a failed call is still counted and audited.
  try {
    Route(req, res);
  } catch (...) {
    std::string request_id = NewRequestId();
    LogCaughtException("request routing", request_id);  // the path is caller input: not logged
    SendInternalFailure(res, request_id);
  }
}

void Pipeline::SendInternalFailure(HttpResponse& res, const std::string& request_id) {
  res = HttpResponse{};  // drop whatever the failed stage had started to answer
  try {
    SendError(res, request_id, InternalFailureStatus());
  } catch (...) {
    res = HttpResponse{};
    res.status = 500;  // no memory even for the error body: an empty 500
  }
}

void Pipeline::Route(HttpRequest& req, HttpResponse& res) {
  std::string_view path = req.Path();
  if (req.method == "GET" && path == "/_arcana/health") {
    const bool sealed = opts_.root != nullptr && opts_.root->sealed();
    res.status = ready_ && !sealed ? 200 : 503;
    res.Set("Content-Type", "application/json");
    res.body = !ready_ ? R"({"status":"starting"})"
                       : sealed ? R"({"status":"sealed"})" : R"({"status":"ok"})";
    return;
  }
  if (opts_.operator_api && opts_.operator_api(req, res)) return;
  if (req.method == "GET" && path == "/metrics") {
    res.Set("Content-Type", "text/plain; version=0.0.4");
    res.body = metrics_.RenderPrometheus();
    return;
  }
  if (path == "/_arcana/reset" || path == "/moto-api/reset") {
    // Only reachable in dev mode: everywhere else the endpoint does not exist.
    if (!opts_.dev || req.method != "POST" || !opts_.reset) {
      res.status = 404;
      res.body = "Not Found";
      return;
    }
    Status st = opts_.reset();
    res.status = st.ok() ? 200 : 500;
    res.Set("Content-Type", "application/json");
    res.body = st.ok() ? R"({"status":"reset"})" : services::ErrorBody(st);
    spdlog::warn("dev mode: all state wiped by POST {}", path);
    return;
  }
  if (path == kDevFaultPath) {
    // Test hooks (throw, sleep) for the barrier and shutdown tests: dev mode only.
    if (!opts_.dev || req.method != "POST") {
      res.status = 404;
      res.body = "Not Found";
      return;
    }
    RunDevFault(req, res);
    return;
  }
  if (req.method == "POST" && !req.Header("X-Amz-Target").empty()) {
    HandleApi(req, res);
    return;
  }
  res.status = req.method == "POST" ? 400 : 404;
  std::string request_id = NewRequestId();
  if (req.method == "POST") {
    SendError(res, request_id,
              Status(ErrorCode::kUnknownOperation, "Missing X-Amz-Target header"));
  } else {
    res.body = "Not Found";
  }
}

void Pipeline::HandleApi(HttpRequest& req, HttpResponse& res) {
  ApiCall call;
  call.started = std::chrono::steady_clock::now();
  call.ctx.request_id = NewRequestId();
  call.ctx.now_ms = NowMs();
  try {
    RunApiStages(req, res, call);
  } catch (...) {
    // The exception barrier: one failed call, an InternalFailure, and the server serves on.
    LogCaughtException(call.op_name, call.ctx.request_id);
    call.status = InternalFailureStatus();
    call.input_usable = false;  // a throw may have left the document half-built
  }
  if (!call.status.ok()) {
    res = HttpResponse{};
    SendError(res, call.ctx.request_id, call.status);
  }
  try {
    AuditCall(req, res, call);
  } catch (...) {
    LogCaughtException("audit", call.ctx.request_id);
  }
}

// parse -> authenticate -> authorize -> handle. Leaves the outcome in call.status (the
// caller answers errors) and a 200 response in `res`.
void Pipeline::RunApiStages(HttpRequest& req, HttpResponse& res, ApiCall& call) {
  services::CallContext& ctx = call.ctx;
  rapidjson::Document& input = call.input;
  Status& st = call.status;

  // --- parse: target -> service + operation, body -> JSON ---
  std::string_view target = req.Header("X-Amz-Target");
  auto dot = target.find('.');
  std::string_view prefix = dot == std::string_view::npos ? target : target.substr(0, dot);
  std::string operation(dot == std::string_view::npos ? "" : target.substr(dot + 1));
  services::Service* service = nullptr;
  for (auto* s : services_) {
    if (s->target_prefix() == prefix) service = s;
  }
  // Metrics and audit name only operations a service models: the raw header is caller input
  // (unbounded, unauthenticated while sealed) and never becomes a label.
  const bool known = service != nullptr && service->validator().HasOperation(operation);
  if (known) call.op_name = std::string(target);
  // Released when the request is done.
  std::optional<crypto::RootKey::Hold> hold =
      opts_.root != nullptr ? opts_.root->TryHold() : std::nullopt;
  if (opts_.root != nullptr && !hold) {
    st = Status(ErrorCode::kServiceUnavailable,
                "Arcana is sealed: an operator must unseal it (arcana operator unseal) before "
                "it serves requests.");
  } else if (!ready_) {
    st = Status(ErrorCode::kServiceUnavailable, "The server is not ready yet");
  } else if (!known) {
    st = Status(ErrorCode::kUnknownOperation, "Operation " + std::string(target) +
                                                  " is not supported by this server.");
  }
  // --- authenticate ---
  if (st.ok()) st = authn_.Authenticate(req, service->signing_name(), ctx);
  if (st.ok()) {
    if (req.body.empty()) {
      input.SetObject();  // clients always send {}; tolerate an empty body
    } else {
      // Bounded: a deeply nested body is a SerializationException, never a deep recursion.
      Status parsed = json::ParseBounded(req.body, &input);
      if (!parsed.ok()) {
        st = Status(ErrorCode::kSerialization, "Invalid JSON in request body: " + parsed.message());
        input.SetObject();  // the audit stage reads it
      }
    }
  }
  if (st.ok()) st = service->validator().Validate(operation, input);
  // --- authorize ---
  if (st.ok()) st = authz_.Authorize(ctx, service->signing_name(), operation, input);
  // --- handle ---
  if (st.ok()) {
    auto out = service->Call(operation, input, ctx);
    if (out.ok()) {
      res.status = 200;
      res.Set("x-amzn-RequestId", ctx.request_id);
      res.Set("Content-Type", kJsonType);
      res.body = std::move(out).value();
    } else {
      st = out.status();
    }
  }
}

// --- audit --- (and metrics): labels are the known operation or "unknown", and an error
// type from the fixed AWS error table.
void Pipeline::AuditCall(const HttpRequest& req, const HttpResponse& res, const ApiCall& call) {
  const services::CallContext& ctx = call.ctx;
  const Status& st = call.status;
  auto elapsed = std::chrono::steady_clock::now() - call.started;
  std::string error_code = st.ok() ? "" : std::string(services::LookupError(st.code()).type);
  metrics_.Record(call.op_name, error_code, std::chrono::duration<double>(elapsed).count());
  audit::AuditRecord rec;
  rec.time_ms = ctx.now_ms;
  rec.request_id = ctx.request_id;
  rec.source_ip = req.remote_address;
  rec.principal_arn = ctx.principal_arn;
  rec.access_key_id = ctx.access_key_id;
  rec.account = ctx.account;
  rec.region = ctx.region;
  rec.operation = call.op_name;
  if (call.input_usable) rec.resource = ResourceOf(call.input);
  rec.error_code = error_code;
  rec.http_status = res.status;
  rec.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  audit_.Write(rec);
}

}  // namespace arcana::net
