#include "net/api_stages.h"

#include "net/api_audit.h"
#include "services/common/aws_error.h"

namespace arcana::net {
namespace {

constexpr const char* kJsonType = "application/x-amz-json-1.1";

}  // namespace

Status ResolveStage::Run(HttpRequest& req, ApiCall& call) const {
  std::string_view target = req.Header("X-Amz-Target");
  auto dot = target.rfind('.');  // "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.X"
  std::string_view prefix = dot == std::string_view::npos ? target : target.substr(0, dot);
  call.operation = std::string(dot == std::string_view::npos ? "" : target.substr(dot + 1));
  for (auto* s : services_) {
    if (s->target_prefix() == prefix) call.service = s;
  }
  // Metrics and audit name only operations a service models: the raw header is caller input
  // (unbounded, unauthenticated while sealed) and never becomes a label.
  call.known = call.service != nullptr && call.service->validator().HasOperation(call.operation);
  if (call.known) call.op_name = std::string(target);
  return Status::Ok();
}

Status AdmitStage::Run(HttpRequest& req, ApiCall& call) const {
  if (root_ != nullptr) {
    auto hold = root_->TryHold();
    if (hold) call.hold.emplace(std::move(*hold));  // Hold moves, but is not assignable
    if (!call.hold) {
      return Status(ErrorCode::kServiceUnavailable,
                    "Arcana is sealed: an operator must unseal it (arcana operator unseal) "
                    "before it serves requests.");
    }
  }
  if (!ready_.load()) return Status(ErrorCode::kServiceUnavailable, "The server is not ready yet");
  if (!call.known) {
    return Status(ErrorCode::kUnknownOperation,
                  "Operation " + std::string(req.Header("X-Amz-Target")) +
                      " is not supported by this server.");
  }
  return Status::Ok();
}

Status AuthenticateStage::Run(HttpRequest& req, ApiCall& call) const {
  return authn_.Authenticate(req, call.service->signing_name(), call.ctx);
}

Status DecodeStage::Run(HttpRequest& req, ApiCall& call) const {
  if (req.body.empty()) {
    call.input.SetObject();  // clients always send {}; tolerate an empty body
  } else {
    // Bounded: a deeply nested body is a SerializationException, never a deep recursion.
    Status parsed = json::ParseBounded(req.body, &call.input);
    if (!parsed.ok()) {
      call.input.SetObject();  // the recorder reads it
      return Status(ErrorCode::kSerialization, "Invalid JSON in request body: " + parsed.message());
    }
  }
  return call.service->validator().Validate(call.operation, call.input);
}

Status AuthorizeStage::Run(HttpRequest&, ApiCall& call) const {
  return authz_.Authorize(call.ctx, call.service->signing_name(), call.operation, call.input);
}

Status DispatchStage::Run(HttpRequest&, ApiCall& call) const {
  auto out = call.service->Call(call.operation, call.input, call.ctx);
  if (!out.ok()) return out.status();
  call.output = std::move(out).value();
  return Status::Ok();
}

void ResponseEncoder::Encode(ApiCall& call, HttpResponse& res) const {
  res = HttpResponse{};  // nothing a failed stage started to answer survives
  if (!call.status.ok()) return EncodeError(res, call.ctx.request_id, call.status);
  res.status = 200;
  res.Set("x-amzn-RequestId", call.ctx.request_id);
  res.Set("Content-Type", kJsonType);
  res.body = std::move(call.output);
}

void ResponseEncoder::EncodeError(HttpResponse& res, const std::string& request_id,
                                  const Status& st) {
  auto info = services::LookupError(st.code());
  res.status = info.http_status;
  res.Set("x-amzn-RequestId", request_id);
  res.Set("X-Amzn-ErrorType", std::string(info.type));
  res.Set("Content-Type", kJsonType);
  res.body = services::ErrorBody(st);
}

Status AuditReadyStage::Run(HttpRequest&, ApiCall&) const {
  if (trail_.Healthy()) return Status::Ok();
  return Status(ErrorCode::kServiceUnavailable,
                "The audit trail cannot record calls right now, so this call was refused.");
}

Status CallRecorder::Audit(const HttpRequest& req, const ApiCall& call) const {
  return audit_.Record(ApiCallEvent(req, call));
}

void CallRecorder::Count(const ApiCall& call) const {
  const Status& st = call.status;
  auto elapsed = std::chrono::steady_clock::now() - call.started;
  std::string error_code = st.ok() ? "" : std::string(services::LookupError(st.code()).type);
  metrics_.Record(call.op_name, error_code, std::chrono::duration<double>(elapsed).count());
}

}  // namespace arcana::net
