#include "migrate/sm_client.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "common/json.h"
#include "crypto/aead.h"
#include "crypto/random.h"

namespace arcana::migrate {

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

std::string Trim(std::string s) {
  size_t a = s.find_first_not_of(" \t\r");
  size_t b = s.find_last_not_of(" \t\r");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::optional<ApiError> ErrorOf(const cli::HttpReply& reply) {
  if (reply.status == 200) return std::nullopt;
  ApiError e;
  e.http_status = reply.status;
  rapidjson::Document doc;
  if (json::ParseBounded(reply.body, &doc).ok() && doc.IsObject()) {
    e.type = json::StrField(doc, "__type");
    if (auto hash = e.type.rfind('#'); hash != std::string::npos) e.type = e.type.substr(hash + 1);
    e.message = json::StrField(doc, "message");
    if (e.message.empty()) e.message = json::StrField(doc, "Message");
  }
  if (e.type.empty()) e.type = "HTTP " + std::to_string(reply.status);
  return e;
}

// Throttling and transient server errors, which AWS SDKs retry (standard retry mode).
bool Retryable(const cli::HttpReply& reply) {
  if (reply.status == 429 || reply.status == 500 || reply.status == 502 || reply.status == 503 ||
      reply.status == 504) {
    return true;
  }
  auto err = ErrorOf(reply);
  if (!err) return false;
  for (const char* t : {"ThrottlingException", "Throttling", "TooManyRequestsException",
                        "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException",
                        "SlowDown"}) {
    if (err->type == t) return true;
  }
  return false;
}

void WriteTags(json::Writer& w, const SecretsManagerClient::Tags& tags) {
  json::WriteTagList(w, "Tags", tags);
}

}  // namespace

Result<AwsCredentials> ResolveCredentials() {
  AwsCredentials c;
  c.access_key_id = Env("AWS_ACCESS_KEY_ID");
  if (!c.access_key_id.empty()) {
    c.secret_access_key = crypto::SecretString(Env("AWS_SECRET_ACCESS_KEY"));
    c.session_token = Env("AWS_SESSION_TOKEN");
    return c;
  }
  std::string file = Env("AWS_SHARED_CREDENTIALS_FILE");
  if (file.empty() && !Env("HOME").empty()) file = Env("HOME") + "/.aws/credentials";
  std::string profile = Env("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  std::ifstream in(file);
  std::string line, section;
  while (in && std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') continue;
    if (line.front() == '[' && line.back() == ']') {
      section = Trim(line.substr(1, line.size() - 2));
      continue;
    }
    if (section != profile) continue;
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    std::string k = Trim(line.substr(0, eq)), v = Trim(line.substr(eq + 1));
    if (k == "aws_access_key_id") c.access_key_id = v;
    if (k == "aws_secret_access_key") c.secret_access_key = crypto::SecretString(v);
    if (k == "aws_session_token") c.session_token = v;
  }
  if (c.access_key_id.empty()) {
    return Status(ErrorCode::kInvalidParameter,
                  "no AWS credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or profile " +
                      profile + " in " + file);
  }
  return c;
}

Result<SecretsManagerClient> SecretsManagerClient::Create(const std::string& endpoint_url,
                                                          const std::string& region) {
  SecretsManagerClient c;
  c.endpoint_url_ = endpoint_url;
  for (const char* var : {"AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"}) {
    if (c.endpoint_url_.empty()) c.endpoint_url_ = Env(var);
  }
  if (c.endpoint_url_.empty()) c.endpoint_url_ = "http://127.0.0.1:7770";
  auto ep = cli::ParseEndpoint(c.endpoint_url_);
  if (!ep.ok()) return ep.status();
  c.endpoint_ = *ep;
  c.region_ = region;
  for (const char* var : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (c.region_.empty()) c.region_ = Env(var);
  }
  if (c.region_.empty()) c.region_ = "us-east-1";
  auto creds = ResolveCredentials();
  if (!creds.ok()) return creds.status();
  c.creds_ = std::move(*creds);
  return c;
}

Result<cli::HttpReply> SecretsManagerClient::Call(const std::string& op, const std::string& body) {
  // A throttled call is sent again after a backoff (exponential, with full jitter, as the AWS
  // SDKs do): a throttled CreateSecret failed the whole file. Every call is safe to repeat:
  // reads and tagging are, and CreateSecret carries its ClientRequestToken.
  constexpr int kAttempts = 6;
  constexpr auto kBase = std::chrono::milliseconds(100), kCap = std::chrono::milliseconds(5000);
  for (int attempt = 1;; ++attempt) {
    auto reply = cli::SendRequest(endpoint_, "POST", "/", body, [&](auth::SignableRequest& sr) {
      sr.headers.emplace_back("Content-Type", "application/x-amz-json-1.1");
      sr.headers.emplace_back("X-Amz-Target", "secretsmanager." + op);
      auth::SignRequest(sr, creds_.access_key_id, creds_.secret_access_key.view(), region_,
                        "secretsmanager", auth::FormatAmzDate(std::chrono::system_clock::now()),
                        creds_.session_token);
    });
    if (!reply.ok() || attempt == kAttempts || !Retryable(*reply)) return reply;
    const auto ceiling = std::min<std::chrono::milliseconds>(kCap, kBase * (1 << (attempt - 1)));
    std::this_thread::sleep_for(std::chrono::milliseconds(
        1 + crypto::RandomUniform(static_cast<uint32_t>(ceiling.count()))));
  }
}

Result<std::optional<ApiError>> SecretsManagerClient::CreateSecret(const std::string& name,
                                                                   std::string_view value,
                                                                   const Tags& tags) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Name", name);
  // What the SDKs send by default: the idempotency token of the first version.
  json::KV(w, "ClientRequestToken", crypto::NewUuidV4());
  json::KV(w, "SecretString", value);
  WriteTags(w, tags);
  w.EndObject();
  std::string body = json::Finish(buf);
  auto reply = Call("CreateSecret", body);
  crypto::SecureWipe(body);
  if (!reply.ok()) return reply.status();
  return ErrorOf(*reply);
}

Result<std::optional<ApiError>> SecretsManagerClient::GetSecretString(const std::string& id,
                                                                      crypto::SecretString* out) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SecretId", id);
  w.EndObject();
  auto reply = Call("GetSecretValue", json::Finish(buf));
  if (!reply.ok()) return reply.status();
  if (auto err = ErrorOf(*reply)) return err;
  rapidjson::Document doc;
  if (json::ParseBounded(reply->body, &doc).ok() && doc.IsObject()) {
    *out = crypto::SecretString(json::StrField(doc, "SecretString"));
  }
  crypto::SecureWipe(reply->body);
  return std::optional<ApiError>();
}

Result<std::optional<ApiError>> SecretsManagerClient::TagResource(const std::string& id,
                                                                  const Tags& tags) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "SecretId", id);
  WriteTags(w, tags);
  w.EndObject();
  auto reply = Call("TagResource", json::Finish(buf));
  if (!reply.ok()) return reply.status();
  return ErrorOf(*reply);
}

}  // namespace arcana::migrate
