#include "agent/agent_handler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>

#include "auth/sigv4.h"
#include "common/json.h"
#include "crypto/aead.h"
#include "agent/resource_tag.h"
#include "audit/utf8_text.h"  // ValidUtf8: a general UTF-8 repair, kept with the trail that needs it most
#include "agent/wiped_json.h"
#include "net/query_string.h"

namespace arcana::agent {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

// application/x-www-form-urlencoded, as the AWS agent reads its query: '+' is a space.
// Lossy, as the AWS agent's url::form_urlencoded::parse is: an escape that decodes to bytes
// that are no UTF-8 becomes U+FFFD, so the upstream call is valid JSON (and answered as an
// unknown or invalid id) instead of a SerializationException about the agent's own request.
std::string FormDecode(std::string_view s) {
  std::string plus(s);
  std::replace(plus.begin(), plus.end(), '+', ' ');
  return audit::ValidUtf8(auth::UriDecode(plus));
}

Params QueryParams(std::string_view target) {
  Params out;
  for (const auto& [name, value] : net::SplitQuery(target)) {
    out.emplace_back(FormDecode(name), FormDecode(value));
  }
  return out;
}

void Text(net::HttpResponse& res, int status, std::string body) {
  res.status = status;
  res.Set("Content-Type", "text/plain");
  res.body = std::move(body);
}

std::optional<bool> ParseBool(std::string v) {
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return std::nullopt;
}

// Constant time in the token's length: no early exit on the first differing byte.
bool SameToken(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

// The resources an answer depends on, as cache tags (resource_tag.h): the secret's ARN, or the
// parameter's (and every secret for a /aws/reference/secretsmanager/ parameter).
// The answer holds the value: parsed into a document that wipes its memory (wiped_json.h).
std::vector<std::string> ResourcesOf(std::string_view body, bool ssm) {
  std::vector<std::string> out;
  WipedDocument doc;
  if (!json::ParseBounded(body, &doc, 16, size_t{4} << 20).ok() || !doc.IsObject()) return out;
  const WipedDocument::ValueType* o = &doc;
  if (ssm) {
    auto p = doc.FindMember("Parameter");
    if (p == doc.MemberEnd() || !p->value.IsObject()) return out;
    o = &p->value;
    if (StrMember(*o, "Name").rfind("/aws/reference/secretsmanager/", 0) == 0) {
      out.emplace_back(kSecretReferenceTag);
    }
  }
  if (std::string_view arn = StrMember(*o, "ARN"); !arn.empty()) {
    out.push_back(CacheTagOf(std::string(arn)));
  }
  return out;
}

// The Lambda extension adds "ResultMetadata": {} to GetParameter's answer.
// The body holds the value: built into a new string and the old one wiped (an insert that
// outgrew the capacity would free the old buffer as it is).
void AddResultMetadata(std::string& body) {
  auto end = body.find_last_of('}');
  if (end == std::string::npos || body.find("\"ResultMetadata\"") != std::string::npos) return;
  std::string_view member = body.find_first_not_of(" \t\r\n{") == end ? "\"ResultMetadata\":{}"
                                                                       : ",\"ResultMetadata\":{}";
  std::string out;
  out.reserve(body.size() + member.size());
  out.append(body, 0, end);
  out.append(member);
  out.append(body, end, std::string::npos);
  crypto::SecureWipe(body);
  body = std::move(out);
}

// The AWS agent answers its own serialization of the SDK's GetSecretValueOutput
// (aws_secretsmanager_caching/src/output/get_secret_value_output.rs), not the wire body:
// ARN, Name, VersionId (null when absent), SecretString, SecretBinary, VersionStages (left
// out when absent), and CreatedDate as a JSON *string* of the epoch seconds
// (serde_with TimestampSecondsWithFrac<String>: Rust's shortest f64 text, "1569534789.046",
// "1700000000" for a whole second), null when absent. Clients parse that string; the wire's
// number would break them. Other members of the wire body are dropped, as the SDK does.
// nullopt when the answer is not a JSON object (the SDK could not read it).
// The wire body and the answer hold the value: the parsed document and the output buffer
// wipe their memory when freed (wiped_json.h); the returned string is the caller's to wipe.
std::optional<std::string> AgentSecretValueBody(const std::string& wire) {
  WipedDocument doc;
  if (!json::ParseBounded(wire, &doc, 16, size_t{4} << 20).ok() || !doc.IsObject()) return std::nullopt;
  WipedStringBuffer buf;
  WipedWriter w(buf);
  auto text = [&](std::string_view s) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  };
  auto str_or_null = [&](const char* key, bool keep_absent) {
    auto it = doc.FindMember(key);
    const bool is_str = it != doc.MemberEnd() && it->value.IsString();
    if (!is_str && !keep_absent) return;
    text(key);
    if (is_str) {
      text(std::string_view(it->value.GetString(), it->value.GetStringLength()));
    } else {
      w.Null();
    }
  };
  w.StartObject();
  str_or_null("ARN", true);
  str_or_null("Name", true);
  str_or_null("VersionId", true);
  str_or_null("SecretString", false);
  str_or_null("SecretBinary", false);
  if (auto it = doc.FindMember("VersionStages");
      it != doc.MemberEnd() && it->value.IsArray()) {
    text("VersionStages");
    w.StartArray();
    for (const auto& e : it->value.GetArray()) {
      if (e.IsString()) text(std::string_view(e.GetString(), e.GetStringLength()));
    }
    w.EndArray();
  }
  text("CreatedDate");
  auto created = doc.FindMember("CreatedDate");
  if (created != doc.MemberEnd() && created->value.IsNumber()) {
    // Fixed notation, shortest text that reads back as the same double: Rust's f64 Display.
    char date[64];
    auto r = std::to_chars(date, date + sizeof date, created->value.GetDouble(),
                           std::chars_format::fixed);
    text(r.ec == std::errc() ? std::string_view(date, r.ptr - date) : "0");
  } else {
    w.Null();
  }
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

// An upstream AWS error answer, re-shaped as the AWS agent passes it through.
// The code and message are read as the Rust SDK reads them (aws-smithy-json
// parse_error_metadata, sanitize_error_code): "code", "Code" or "__type", cut at the first
// ':' (a trailing URL) and after the '#' of a namespace; "message", "Message" or
// "errorMessage". The AWS agent (cache_manager.rs svc_err) answers 500 InternalFailure for a
// Secrets Manager error without a code or without a message; a parameter's error keeps its
// code without one (SSM's GetParameter ParameterNotFound has none).
void PassThroughError(const UpstreamReply& reply, bool secrets_manager,
                      net::HttpResponse& res) {
  rapidjson::Document doc;
  std::string code, message;
  if (json::ParseBounded(reply.body, &doc, 8, 64 * 1024).ok() && doc.IsObject()) {
    for (const char* k : {"code", "Code", "__type"}) {
      if (code.empty()) code = json::StrField(doc, k);
    }
    if (auto colon = code.find(':'); colon != std::string::npos) code.resize(colon);
    if (auto hash = code.find('#'); hash != std::string::npos) code = code.substr(hash + 1);
    for (const char* k : {"message", "Message", "errorMessage"}) {
      if (message.empty()) message = json::StrField(doc, k);
    }
  }
  res.Set("Content-Type", "application/json");
  if (code.empty() || (secrets_manager && message.empty())) {
    res.status = 500;
    res.body = AgentErrorBody("InternalFailure", "");
    return;
  }
  res.status = reply.status;
  res.body = AgentErrorBody(code, message);
}

// A 200 answer the SDK could deserialize: a JSON object.
bool LooksLikeJsonObject(const std::string& body) {
  WipedDocument doc;  // the answer holds the value
  return json::ParseBounded(body, &doc, 16, size_t{4} << 20).ok() && doc.IsObject();
}

// Set while TryInline runs a request on the I/O thread: Serve then answers only what needs
// no waiting, and sets would_block instead of doing anything else.
struct InlineAttempt {
  bool trying = false;
  bool would_block = false;
};
thread_local InlineAttempt t_inline;

}  // namespace

std::string AgentErrorBody(std::string_view code, std::string_view message) {
  if (code == "InternalFailure") return R"({"__type":"InternalFailure"})";
  rapidjson::StringBuffer c, m;
  json::Writer wc(c), wm(m);
  json::WriteStr(wc, code);
  // Some AWS errors carry no message (SSM's ParameterNotFound from GetParameter): the code
  // still passes through.
  if (message.empty()) return std::string("{\"__type\":") + c.GetString() + "}";
  json::WriteStr(wm, message);
  return std::string("{\"__type\":") + c.GetString() + ", \"message\":" + m.GetString() + "}";
}

AgentHandler::AgentHandler(const AgentConfig& cfg, crypto::SecretString ssrf_token,
                           ValueCache& cache, AgentMetrics& metrics, AgentDeps deps)
    : cfg_(cfg),
      token_(std::move(ssrf_token)),
      cache_(cache),
      metrics_(metrics),
      deps_(std::move(deps)) {}

bool AgentHandler::TryInline(net::HttpRequest& req, net::Respond& respond) {
  const auto started = std::chrono::steady_clock::now();
  net::HttpResponse res;
  t_inline = InlineAttempt{true, false};
  try {
    if (!OverConnectionLimit(req, running_.load() + 1, res)) Route(req, res);
  } catch (const std::exception&) {
    t_inline.would_block = true;  // a worker runs it again and answers the failure
  }
  const bool handed_over = t_inline.would_block;
  t_inline = InlineAttempt{};
  if (handed_over) return false;
  Finished(req, res, started);
  net::Respond answer = std::move(respond);
  answer(std::make_unique<net::HttpResponse>(std::move(res)));
  return true;
}

bool AgentHandler::TokenOk(const net::HttpRequest& req) const {
  for (const auto& name : cfg_.ssrf_headers) {
    std::string_view v = req.Header(name);
    if (!v.empty() && SameToken(v, token_.view())) return true;
  }
  return false;
}

bool AgentHandler::OverConnectionLimit(const net::HttpRequest& req, int running,
                                       net::HttpResponse& res) const {
  const std::string_view path = req.Path();
  const bool health = path == "/ping" || path == "/start_serving" || path == "/health" ||
                      path == "/metrics";
  if (running <= cfg_.max_conn + (health ? 2 : 0)) return false;
  Text(res, 429, "Connection limit exceeded");
  return true;
}

void AgentHandler::Handle(net::HttpRequest& req, net::HttpResponse& res) {
  const auto started = std::chrono::steady_clock::now();
  const int running = ++running_;
  struct Done {
    std::atomic<int>& n;
    ~Done() { --n; }
  } done{running_};
  // Checked first, as the AWS agent does (before the token).
  if (OverConnectionLimit(req, running, res)) return Finished(req, res, started);
  try {
    Route(req, res);
  } catch (const std::exception& e) {
    spdlog::error("request failed: {}", e.what());  // never a value: what() names the failure
    res = net::HttpResponse{};
    res.status = 500;
    res.body = AgentErrorBody("InternalFailure", "");
  }
  Finished(req, res, started);
}

void AgentHandler::Finished(const net::HttpRequest& req, const net::HttpResponse& res,
                            std::chrono::steady_clock::time_point started) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  metrics_.ObserveLatency(seconds);
  // The path names at most a secret id (never a value); the query is not logged.
  spdlog::debug("{} {} -> {} ({:.3f} ms)", req.method, req.Path(), res.status, seconds * 1000);
}

void AgentHandler::Route(const net::HttpRequest& req, net::HttpResponse& res) {
  std::string_view path = req.Path();
  if (path == "/ping") {
    if (req.method != "GET") return Text(res, 405, "Not allowed");
    return Text(res, 200, "healthy");
  }
  // The AWS agent exempts /start_serving from the token check like /ping; outside its Lambda
  // mode (which this agent has no need of: it serves from the start) the path is not found.
  if (path == "/start_serving") {
    if (req.method != "GET") return Text(res, 405, "Not allowed");
    return Text(res, 404, "Not found");
  }
  if (path == "/health" && req.method == "GET") {
    res.Set("Content-Type", "application/json");
    res.body = HealthJson();
    return;
  }
  if (path == "/metrics" && req.method == "GET") {
    res.Set("Content-Type", "text/plain; version=0.0.4");
    auto h = deps_.stream ? deps_.stream->health() : ChangeSubscriber::Health{};
    std::string gauges =
        "# HELP arcana_agent_cache_entries Values cached now.\n"
        "# TYPE arcana_agent_cache_entries gauge\narcana_agent_cache_entries " +
        std::to_string(cache_.size()) +
        "\n# HELP arcana_agent_change_stream_up 1 while the change stream is connected.\n"
        "# TYPE arcana_agent_change_stream_up gauge\narcana_agent_change_stream_up " +
        std::to_string(h.connected ? 1 : 0) +
        "\n# HELP arcana_agent_change_stream_applied_seq Last change sequence applied.\n"
        "# TYPE arcana_agent_change_stream_applied_seq gauge\n"
        "arcana_agent_change_stream_applied_seq " + std::to_string(h.applied) + "\n";
    res.body = metrics_.RenderPrometheus(gauges);
    return;
  }
  // On presence, as the AWS agent (headers.contains_key): an empty X-Forwarded-For line, or
  // one a proxy appended after an empty first one, still means the request was forwarded.
  if (req.HasHeader("X-Forwarded-For")) {
    ++metrics_.refused;
    spdlog::error("Rejecting request with X-Forwarded-For header");
    return Text(res, 400, "Forwarded");
  }
  if (!TokenOk(req)) {
    ++metrics_.refused;
    spdlog::error("Rejecting request with incorrect SSRF token");
    return Text(res, 403, "Bad Token");
  }
  if (req.method != "GET") return Text(res, 405, "Not allowed");

  const Params params = QueryParams(req.target);
  Fetch f;
  // refreshNow, withDecryption: true|false|1|0, any case. False when bad (then answered).
  auto flag = [&res](const std::string& key, const std::string& value, bool& out) {
    auto b = ParseBool(value);
    if (!b) {
      Text(res, 400, "invalid " + key + " value");
      return false;
    }
    out = *b;
    return true;
  };
  // Any path under the prefix, the prefix alone too: as the AWS agent (starts_with), an empty
  // id is its 400 "missing secret ID", not a 404.
  if (path == "/secretsmanager/get" || path.rfind(cfg_.path_prefix, 0) == 0) {
    const bool by_path = path != "/secretsmanager/get";
    std::string secret_id;
    // Present but empty is not absent: the AWS agent sends VersionId "" / VersionStage ""
    // upstream (Some("")), and the upstream's answer to that is passed through.
    std::optional<std::string> version_id, version_stage;
    if (by_path) secret_id = auth::UriDecode(path.substr(cfg_.path_prefix.size()));
    // The AWS agent takes the id from the path before it reads the query.
    if (by_path && secret_id.empty()) return Text(res, 400, "missing secret ID");
    for (const auto& [k, v] : params) {
      if (k == "secretId" && !by_path) {
        secret_id = v;
      } else if (k == "versionId") {
        version_id = v;
      } else if (k == "versionStage") {
        version_stage = v;
      } else if (k == "refreshNow") {
        if (!flag(k, v, f.refresh_now)) return;
      } else {
        return Text(res, 400, "unknown parameter: " + k);
      }
    }
    if (secret_id.empty()) {
      return Text(res, 400, by_path ? "missing secret ID" : "missing parameter secretId");
    }
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "SecretId", secret_id);
    if (version_id) json::KV(w, "VersionId", *version_id);
    if (version_stage) json::KV(w, "VersionStage", *version_stage);
    w.EndObject();
    // '-' absent, '=' present (then its value): "" given is its own entry.
    auto part = [](const std::optional<std::string>& v) { return v ? "=" + *v : "-"; };
    f.cache_key = "sm\n" + secret_id + "\n" + part(version_id) + "\n" + part(version_stage);
    f.call = &deps_.secrets_manager;
    f.target = "secretsmanager.GetSecretValue";
    f.body = json::Finish(buf);
    return Serve(f, res);
  }
  if (path == "/systemsmanager/parameters/get") {
    std::string name, selector;
    bool decrypt = false;
    for (const auto& [k, v] : params) {
      if (k == "name") {
        name = v;
      } else if (k == "version" || k == "label") {
        // Version or label; when both are given only the first one counts (as the extension).
        if (selector.empty()) selector = v;
      } else if (k == "withDecryption") {
        if (!flag(k, v, decrypt)) return;
      } else if (k == "refreshNow") {
        if (!flag(k, v, f.refresh_now)) return;
      } else {
        return Text(res, 400, "unknown parameter: " + k);
      }
    }
    if (name.empty()) return Text(res, 400, "missing parameter name");
    if (!selector.empty()) name += ":" + selector;
    rapidjson::StringBuffer buf;
    json::Writer w(buf);
    w.StartObject();
    json::KV(w, "Name", name);
    w.Key("WithDecryption");
    w.Bool(decrypt);
    w.EndObject();
    f.cache_key = std::string("ssm\n") + (decrypt ? "1\n" : "0\n") + name;
    f.call = &deps_.ssm;
    f.target = "AmazonSSM.GetParameter";
    f.body = json::Finish(buf);
    f.ssm = true;
    return Serve(f, res);
  }
  Text(res, 404, "Not found");
}

void AgentHandler::Serve(Fetch& f, net::HttpResponse& res) {
  auto answer = [&](std::string& body, const char* how) {
    res.status = 200;
    res.Set("Content-Type", "application/json");
    res.Set("X-Arcana-Cache", how);
    res.body = std::move(body);
    crypto::SecureWipe(body);
  };
  // Secrets and parameters each have their TTL (SECRETS_MANAGER_TTL, SSM_PARAMETER_STORE_TTL).
  const std::chrono::seconds ttl(f.ssm ? cfg_.ssm_ttl_seconds : cfg_.ttl_seconds);
  const bool caching = ttl.count() > 0;
  const bool push = deps_.stream != nullptr && (!f.ssm || deps_.stream_covers_ssm);
  if (t_inline.trying) {
    // On the I/O thread: only a fresh hit that needs no freshness read is answered here.
    const bool fence = push && cfg_.check_freshness && deps_.stream->fencing();
    std::optional<ValueCache::Hit> quick;
    if (caching && !fence && !f.refresh_now) quick = cache_.Get(f.cache_key);
    if (!quick || !quick->fresh) {
      if (quick) crypto::SecureWipe(quick->body);
      t_inline.would_block = true;
      return;
    }
    ++metrics_.hits;
    return answer(quick->body, "hit");
  }
  std::optional<ValueCache::Hit> hit;
  // Set when the change stream could not be read because the upstream is unreachable: a
  // cached value is then served only as a flagged stale answer.
  Status unverified;
  if (caching) hit = cache_.Get(f.cache_key);
  if (hit && hit->fresh && !f.refresh_now) {
    if (push && cfg_.check_freshness) {
      Status st = deps_.stream->Fence();
      if (st.ok()) {
        crypto::SecureWipe(hit->body);
        hit = cache_.Get(f.cache_key);  // the fence may have dropped it
      } else if (st.code() != ErrorCode::kUnsupportedOperation) {
        unverified = st;  // unreachable: try the upstream below, else serve it stale
      }
    }
    if (hit && hit->fresh && unverified.ok()) {
      ++metrics_.hits;
      return answer(hit->body, "hit");
    }
  }
  if (hit) {
    ++metrics_.refreshes;
  } else {
    ++metrics_.misses;
  }
  const uint64_t epoch = cache_.epoch();
  auto reply = (*f.call)(f.target, f.body);
  // On a transient failure the cached value is served (flagged), as the AWS agent does with
  // ignore_transient_errors (aws_secretsmanager_caching/src/error.rs is_transient_error: a
  // timeout, no connection, an answer it cannot read, or a 5xx answer); never for refreshNow.
  auto served_stale = [&](std::string_view why) {
    if (!hit || !cfg_.ignore_transient_errors || f.refresh_now ||
        hit->age > std::chrono::seconds(cfg_.max_stale_seconds)) {
      return false;
    }
    // Answering from the cache needs a fence read first, stale or not (change_subscriber.h):
    // an upstream that answers 5xx may still deliver the change that dropped this entry.
    // Skipped when the fence already failed for this request (unverified); a stream that
    // cannot be read now leaves the flagged stale answer as before.
    if (push && cfg_.check_freshness && deps_.stream->fencing() && unverified.ok() &&
        deps_.stream->Fence().ok()) {
      auto again = cache_.Get(f.cache_key);
      crypto::SecureWipe(hit->body);
      hit = std::move(again);
      if (!hit || hit->age > std::chrono::seconds(cfg_.max_stale_seconds)) return false;
    }
    ++metrics_.stale_served;
    res.Set("X-Arcana-Stale", "true");
    res.Set("X-Arcana-Age", std::to_string(hit->age.count() / 1000));
    spdlog::warn("upstream failed ({}): serving a cached value {} s old", why,
                 hit->age.count() / 1000);
    answer(hit->body, "stale");
    return true;
  };
  if (!reply.ok()) {
    ++metrics_.upstream_errors;
    const Status& st = reply.status();
    const bool transient =
        st.code() == ErrorCode::kServiceUnavailable || st.code() == ErrorCode::kDependencyTimeout;
    if (transient && served_stale(st.message())) return;
    if (hit) crypto::SecureWipe(hit->body);
    spdlog::warn("upstream request failed: {}", st.message());
    res.Set("Content-Type", "application/json");
    if (st.code() == ErrorCode::kDependencyTimeout) {
      res.status = 504;
      res.body = AgentErrorBody("TimeoutError", "Timeout");
    } else if (st.code() == ErrorCode::kServiceUnavailable) {
      res.status = 502;
      res.body = AgentErrorBody("ConnectionError", "Read Error");
    } else {
      res.status = 500;
      res.body = AgentErrorBody("InternalFailure", "");
    }
    return;
  }
  if (reply->status != 200) {
    ++metrics_.upstream_error_replies;
    if (reply->status >= 500 && served_stale("HTTP " + std::to_string(reply->status))) {
      crypto::SecureWipe(reply->body);
      return;
    }
    if (hit) crypto::SecureWipe(hit->body);
    PassThroughError(*reply, !f.ssm, res);
    crypto::SecureWipe(reply->body);
    return;
  }
  std::optional<std::string> shaped;
  if (f.ssm) {
    if (LooksLikeJsonObject(reply->body)) shaped = std::move(reply->body);
    if (shaped) AddResultMetadata(*shaped);
  } else {
    shaped = AgentSecretValueBody(reply->body);
  }
  crypto::SecureWipe(reply->body);
  if (!shaped) {
    // The SDK cannot read such an answer (SdkError::ResponseError): the AWS agent's 502
    // (cache_manager.rs svc_err), or its cached value. Nothing is cached.
    ++metrics_.upstream_errors;
    if (served_stale("an answer that is not JSON")) return;
    if (hit) crypto::SecureWipe(hit->body);
    res.Set("Content-Type", "application/json");
    res.status = 502;
    res.body = AgentErrorBody("ConnectionError", "Response Error");
    return;
  }
  if (hit) crypto::SecureWipe(hit->body);
  reply->body = std::move(*shaped);
  // A real answer is far smaller (a secret value is at most 64 KiB, a parameter 8 KiB): an
  // upstream answering more is served but not kept, so cache_size entries bound the memory.
  constexpr size_t kMaxCachedBytes = 256 * 1024;
  if (caching && reply->body.size() <= kMaxCachedBytes) {
    cache_.Put(f.cache_key, reply->body, ResourcesOf(reply->body, f.ssm), epoch, ttl);
  }
  answer(reply->body, hit ? "refresh" : "miss");
}

std::string AgentHandler::HealthJson() const {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "status", "ok");
  w.Key("cache_entries");
  w.Uint64(cache_.size());
  w.Key("ttl_seconds");
  w.Int(cfg_.ttl_seconds);
  w.Key("ssm_ttl_seconds");
  w.Int(cfg_.ssm_ttl_seconds);
  const bool push = deps_.stream != nullptr;
  auto h = push ? deps_.stream->health() : ChangeSubscriber::Health{};
  // What keeps cached values fresh right now: the change stream, or only the TTL.
  json::KV(w, "invalidation", push && h.connected ? "stream" : "ttl");
  w.Key("check_freshness");
  w.Bool(push && cfg_.check_freshness);
  w.Key("stream");
  w.StartObject();
  w.Key("enabled");
  w.Bool(push);
  w.Key("connected");
  w.Bool(h.connected);
  w.Key("applied_seq");
  w.Int64(h.applied);
  w.Key("ms_since_ok");
  w.Int64(h.ms_since_ok);
  json::KV(w, "last_error", h.last_error);
  w.EndObject();
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::agent
