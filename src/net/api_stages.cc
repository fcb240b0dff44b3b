#include "net/api_stages.h"

#include "auth/sigv4.h"
#include "net/api_audit.h"
#include "net/query_string.h"
#include "services/common/aws_error.h"

namespace arcana::net {
namespace {

constexpr const char* kJsonType = "application/x-amz-json-1.1";

// The service of the SigV4 credential scope (Credential=AKID/DATE/REGION/SERVICE/...), or "".
// `form`: the call's decoded parameters, where a presigned URL's X-Amz-Credential is.
std::string_view ScopeService(const HttpRequest& req, const services::QueryProtocol::Form& form) {
  std::string_view auth = req.Header("Authorization");
  std::string_view cred;
  if (size_t at = auth.find("Credential="); at != std::string_view::npos) {
    cred = auth.substr(at + 11);
    cred = cred.substr(0, cred.find_first_of(", "));
  } else if (auto it = form.find("X-Amz-Credential"); auth.empty() && it != form.end()) {
    cred = it->second;
  }
  for (int i = 0; i < 3; ++i) {
    size_t slash = cred.find('/');
    if (slash == std::string_view::npos) return {};
    cred.remove_prefix(slash + 1);
  }
  return cred.substr(0, cred.find('/'));
}

bool IsFormPost(const HttpRequest& req) {
  return req.method == "POST" &&
         req.Header("Content-Type").starts_with("application/x-www-form-urlencoded");
}

// A form-encoded body: the service whose signing name is the credential scope's service
// (unsigned dev-mode calls: the query service modelling the Action) and the Action.
void ResolveQuery(HttpRequest& req, ApiCall& call,
                  const std::vector<services::Service*>& services) {
  // A form POST carries its parameters in the body; a presigned URL (GET, or POST with no
  // form) in the query string.
  std::string_view params = req.body;
  if (!IsFormPost(req)) {
    const size_t q = req.target.find('?');
    params = q == std::string::npos ? std::string_view() : std::string_view(req.target).substr(q + 1);
  }
  auto form = services::QueryProtocol::ParseForm(params);
  if (form.ok()) call.form = std::move(form).value();
  auto action = call.form.find("Action");
  std::string_view scope = ScopeService(req, call.form);
  if (!form.ok() || action == call.form.end()) {
    // Unknown: admission refuses it, in the protocol and namespace of the service the
    // credential scope names (an IAM or STS client reads only an XML ErrorResponse).
    for (auto* s : services) {
      const auto* q = dynamic_cast<const services::QueryService*>(s);
      if (q != nullptr && !scope.empty() && s->signing_name() == scope) call.query = &q->query();
    }
    return;
  }
  call.operation = action->second;
  for (auto* s : services) {
    const auto* q = dynamic_cast<const services::QueryService*>(s);
    if (q == nullptr) continue;
    if (scope.empty() ? s->validator().HasOperation(call.operation) : s->signing_name() == scope) {
      call.service = s;
      call.query = &q->query();
      break;
    }
  }
  // An operation exists only in its API version: IAM and STS answer a known Action with
  // another Version, or none, as an unknown one (AdmitStage's "Could not find operation").
  auto version = call.form.find("Version");
  call.known = call.service != nullptr && call.service->validator().HasOperation(call.operation) &&
               version != call.form.end() && version->second == call.query->api_version();
  if (call.known) call.op_name = std::string(call.service->signing_name()) + "." + call.operation;
}

// The REST-JSON service routing req's method and path, with the route.
const services::RestJsonService* FindRest(const HttpRequest& req,
                                          const std::vector<services::Service*>& services,
                                          services::RestRoute* route) {
  if (!req.Header("X-Amz-Target").empty()) return nullptr;
  for (auto* s : services) {
    const auto* r = dynamic_cast<const services::RestJsonService*>(s);
    if (r == nullptr) continue;
    if (auto m = r->rest().Match(req.method, req.Path())) {
      if (route != nullptr) *route = std::move(*m);
      return r;
    }
  }
  return nullptr;
}

}  // namespace

bool IsRestRequest(const HttpRequest& req, const std::vector<services::Service*>& services) {
  return FindRest(req, services, nullptr) != nullptr;
}

std::string WireErrorType(const Status& st, const services::QueryProtocol* query,
                          const services::RestJsonService* rest) {
  if (st.ok()) return "";
  if (query != nullptr) return services::QueryProtocol::ErrorOf(st.code()).code;
  if (rest != nullptr) return rest->ErrorOf(st.code()).type;
  return std::string(services::LookupError(st.code()).type);
}

bool IsQueryRequest(const HttpRequest& req) {
  if (!req.Header("X-Amz-Target").empty()) return false;
  if (IsFormPost(req)) return true;
  if ((req.method != "GET" && req.method != "POST") || req.Path() != "/") return false;
  for (const auto& [name, value] : SplitQuery(req.target)) {
    if (name == "Action") return true;
  }
  return false;
}

Status ResolveStage::Run(HttpRequest& req, ApiCall& call) const {
  if (IsQueryRequest(req)) {
    ResolveQuery(req, call, services_);
    return Status::Ok();
  }
  if (const auto* rest = FindRest(req, services_, &call.route)) {
    // Only the operations the service serves are routed: known once matched.
    call.rest = rest;
    call.service = const_cast<services::RestJsonService*>(rest);
    call.operation = call.route.operation;
    call.known = true;
    call.op_name = std::string(rest->signing_name()) + "." + call.operation;
    return Status::Ok();
  }
  std::string_view target = req.Header("X-Amz-Target");
  auto dot = target.rfind('.');  // "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.X"
  std::string_view prefix = dot == std::string_view::npos ? target : target.substr(0, dot);
  call.operation = std::string(dot == std::string_view::npos ? "" : target.substr(dot + 1));
  for (auto* s : services_) {
    if (!prefix.empty() && s->target_prefix() == prefix) call.service = s;
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
    // For a handler that waits long on something that uses no root key (CallContext).
    call.ctx.release_root_hold = [&call] { call.hold.reset(); };
    call.ctx.retake_root_hold = [root = root_, &call] {
      call.hold.reset();  // first: a root rotation waiting for its generation goes on
      auto h = root->TryHold();
      if (!h) return false;
      call.hold.emplace(std::move(*h));
      return true;
    };
  }
  if (!ready_.load()) return Status(ErrorCode::kServiceUnavailable, "The server is not ready yet");
  if (!call.known) {
    if (IsQueryRequest(req)) {
      // As IAM and STS word it, naming the Version the request gave (AWS's placeholder when
      // it gave none). Caller input: echoed bounded, never as a metrics label.
      auto version = call.form.find("Version");
      const std::string named = version == call.form.end()
                                    ? std::string("NO_VERSION_SPECIFIED")
                                    : version->second.substr(0, 64);
      return Status(ErrorCode::kUnknownOperation, "Could not find operation " +
                                                      call.operation.substr(0, 64) +
                                                      " for version " + named);
    }
    return Status(ErrorCode::kUnknownOperation,
                  "Operation " + std::string(req.Header("X-Amz-Target")) +
                      " is not supported by this server.");
  }
  return Status::Ok();
}

Status AuthenticateStage::Run(HttpRequest& req, ApiCall& call) const {
  if (call.service->IsUnsigned(call.operation)) return authn_.Unsigned(req, call.ctx);
  ARCANA_RETURN_IF_ERROR(authn_.Authenticate(req, call.service->signing_name(), call.ctx));
  // An authenticated attempt, whatever its authorization decides (IAM's last accessed
  // information counts denied calls too).
  authn_.NoteServiceUse(call.service->signing_name(), call.operation, call.ctx);
  return Status::Ok();
}

Status DecodeStage::Run(HttpRequest& req, ApiCall& call) const {
  if (call.rest != nullptr) {
    services::RestRequest view;
    view.method = req.method;
    for (auto [k, v] : SplitQuery(req.target)) {
      view.query.emplace_back(auth::UriDecode(k), auth::UriDecode(v));
    }
    view.header = [&req](std::string_view name) { return req.Header(name); };
    view.body = req.body;
    Status decoded = call.rest->rest().Decode(call.route, view, &call.input);
    if (!decoded.ok()) {
      call.input.SetObject();  // the recorder reads it
      return decoded;
    }
    return call.service->validator().Validate(call.operation, call.input);
  }
  if (call.query != nullptr) {
    Status decoded = call.query->Decode(call.operation, call.form, &call.input);
    if (!decoded.ok()) {
      call.input.SetObject();  // the recorder reads it
      return decoded;
    }
    return call.service->validator().Validate(call.operation, call.input);
  }
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

Status AuthorizeStage::Run(HttpRequest& req, ApiCall& call) const {
  // The decision needs the resolved resource (its ARN, tags, policy), which only the service
  // knows: this stage hands it the authorizer and the call's action and transport, and the
  // service asks (auth/authorizer.h) once it has resolved what the call touches.
  call.ctx.authorizer = &authz_;
  call.ctx.action = std::string(call.service->signing_name()) + ":" + call.operation;
  call.ctx.source_ip = req.remote_address;
  call.ctx.secure_transport = req.secure;
  return Status::Ok();
}

Status DispatchStage::Run(HttpRequest&, ApiCall& call) const {
  auto out = call.service->Call(call.operation, call.input, call.ctx);
  if (!out.ok()) return out.status();
  call.output = std::move(out).value();
  return Status::Ok();
}

void ResponseEncoder::Encode(ApiCall& call, HttpResponse& res) const {
  res = HttpResponse{};  // nothing a failed stage started to answer survives
  if (call.query != nullptr) return EncodeQuery(call, res);
  if (call.rest != nullptr) return EncodeRest(call, res);
  if (!call.status.ok()) return EncodeError(res, call.ctx.request_id, call.status);
  res.status = 200;
  res.Set("x-amzn-RequestId", call.ctx.request_id);
  res.Set("Content-Type", kJsonType);
  res.body = std::move(call.output);
}

void ResponseEncoder::EncodeQuery(ApiCall& call, HttpResponse& res) const {
  Status st = call.status;
  if (st.ok()) {
    auto xml = call.query->EncodeResponse(call.operation, call.output, call.ctx.request_id);
    if (xml.ok()) {
      res.status = 200;
      res.Set("x-amzn-RequestId", call.ctx.request_id);
      res.Set("Content-Type", "text/xml");
      res.body = std::move(xml).value();
      return;
    }
    st = xml.status();
  }
  EncodeError(res, call.ctx.request_id, st, call.query);
}

void ResponseEncoder::EncodeRest(ApiCall& call, HttpResponse& res) const {
  Status st = call.status;
  if (st.ok()) {
    services::RestResponse out;
    st = call.rest->rest().EncodeResponse(call.operation, call.output, &out);
    if (st.ok()) {
      res.status = out.status;
      res.Set("x-amzn-RequestId", call.ctx.request_id);
      for (auto& [k, v] : out.headers) res.Set(std::move(k), std::move(v));
      if (out.status != 204) res.Set("Content-Type", out.content_type);
      res.body = std::move(out.body);
      return;
    }
  }
  EncodeError(res, call.ctx.request_id, st, nullptr, call.rest);
}

void ResponseEncoder::EncodeError(HttpResponse& res, const std::string& request_id,
                                  const Status& st, const services::QueryProtocol* query,
                                  const services::RestJsonService* rest) {
  if (rest != nullptr) {
    services::RestResponse out = rest->rest().EncodeError(rest->ErrorOf(st.code()), st.message());
    res.status = out.status;
    res.Set("x-amzn-RequestId", request_id);
    for (auto& [k, v] : out.headers) res.Set(std::move(k), std::move(v));
    res.Set("Content-Type", out.content_type);
    res.body = std::move(out.body);
    return;
  }
  if (query != nullptr) {
    res.status = services::QueryProtocol::ErrorOf(st.code()).http_status;
    res.Set("x-amzn-RequestId", request_id);
    res.Set("Content-Type", "text/xml");
    res.body = query->EncodeError(st, request_id);
    return;
  }
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

audit::AuditEvent CallRecorder::RecordOf(const HttpRequest& req, const ApiCall& call) {
  return ApiCallEvent(req, call);
}

void CallRecorder::AuditAsync(const audit::AuditEvent& record,
                              std::function<void(Status)> done) const {
  audit_.RecordAsync(record, std::move(done));
}

CallOutcome CallRecorder::OutcomeOf(const ApiCall& call) {
  return CallOutcome{call.op_name, call.ctx.request_id, call.query, call.rest, call.status,
                     call.started};
}

void CallRecorder::Count(const CallOutcome& call) const {
  const Status& st = call.status;
  auto elapsed = std::chrono::steady_clock::now() - call.started;
  // As the wire spelled it (a fixed table either way: never caller input).
  std::string error_code = WireErrorType(st, call.query, call.rest);
  metrics_.Record(call.op_name, error_code, std::chrono::duration<double>(elapsed).count());
}

}  // namespace arcana::net
