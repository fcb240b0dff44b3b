#include "domain/events/connection.h"

#include <cctype>
#include <cmath>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "common/json.h"
#include "crypto/base64.h"

namespace arcana::domain::events {
namespace {

const char* AuthMemberOf(const std::string& type) {
  if (type == "BASIC") return "BasicAuthParameters";
  if (type == "API_KEY") return "ApiKeyAuthParameters";
  if (type == "OAUTH_CLIENT_CREDENTIALS") return "OAuthParameters";
  return nullptr;
}

std::string ConnectionJsonText(const rapidjson::Value& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  v.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string MemberText(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject()) return "";
  auto it = o.FindMember(name);
  if (it == o.MemberEnd() || !it->value.IsString()) return "";
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

const rapidjson::Value* MemberObject(const rapidjson::Value& o, const char* name) {
  if (!o.IsObject()) return nullptr;
  auto it = o.FindMember(name);
  return it != o.MemberEnd() && it->value.IsObject() ? &it->value : nullptr;
}

bool HeaderSafe(const std::string& s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

// The (Key, Value) pairs of one of ConnectionHttpParameters' lists.
HeaderList ConnectionParameterList(const rapidjson::Value* params, const char* list) {
  HeaderList out;
  if (params == nullptr) return out;
  auto it = params->FindMember(list);
  if (it == params->MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& p : it->value.GetArray()) {
    out.emplace_back(MemberText(p, "Key"), MemberText(p, "Value"));
  }
  return out;
}

// Removes the Value of every IsValueSecret parameter of a ConnectionHttpParameters object.
void StripSecretParameterValues(rapidjson::Value* params) {
  if (params == nullptr || !params->IsObject()) return;
  for (const char* list : {"HeaderParameters", "QueryStringParameters", "BodyParameters"}) {
    auto it = params->FindMember(list);
    if (it == params->MemberEnd() || !it->value.IsArray()) continue;
    for (auto& p : it->value.GetArray()) {
      if (!p.IsObject()) continue;
      auto secret = p.FindMember("IsValueSecret");
      if (secret != p.MemberEnd() && secret->value.IsBool() && secret->value.GetBool()) {
        p.RemoveMember("Value");
      }
    }
  }
}

// `update`'s members over `target` (objects), recursing into the nested objects named in
// `deep`; every other member is replaced whole.
void MergeObject(rapidjson::Value& target, const rapidjson::Value& update,
                 rapidjson::Document::AllocatorType& alloc) {
  for (const auto& m : update.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    auto existing = target.FindMember(m.name);
    const bool deep = name == "BasicAuthParameters" || name == "ApiKeyAuthParameters" ||
                      name == "OAuthParameters" || name == "ClientParameters";
    if (deep && existing != target.MemberEnd() && existing->value.IsObject() &&
        m.value.IsObject()) {
      MergeObject(existing->value, m.value, alloc);
      continue;
    }
    rapidjson::Value copy(m.value, alloc);
    if (existing != target.MemberEnd()) {
      existing->value = copy;
    } else {
      target.AddMember(rapidjson::Value(m.name, alloc), copy, alloc);
    }
  }
}

void AppendQuery(std::string& url, const HeaderList& query) {
  if (query.empty()) return;
  bool has_query = url.find('?') != std::string::npos;
  for (const auto& [k, v] : query) {
    url += has_query ? "&" : "?";
    has_query = true;
    url += FormEscape(k) + "=" + FormEscape(v);
  }
}

}  // namespace

std::string FormEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool IsHttpsEndpoint(const std::string& url) {
  if (!url.starts_with("https://") || url.size() <= 8 || url.size() > 2048) return false;
  for (unsigned char c : url) {
    if (c <= 0x20 || c == 0x7f) return false;
  }
  const char host0 = url[8];
  return host0 != '/' && host0 != '?' && host0 != '#';
}

Status CheckAuthParameters(const std::string& type, const rapidjson::Value& auth) {
  const char* wanted = AuthMemberOf(type);
  if (wanted == nullptr || !auth.IsObject()) {
    return Status(ErrorCode::kValidation, "Parameter AuthParameters is not valid.");
  }
  if (auth.HasMember("ConnectivityParameters")) {
    return Status(ErrorCode::kValidation,
                  "Parameter ConnectivityParameters is not supported by this server.");
  }
  for (const char* member : {"BasicAuthParameters", "ApiKeyAuthParameters", "OAuthParameters"}) {
    const bool present = auth.HasMember(member);
    if (std::string_view(member) == wanted && !present) {
      return Status(ErrorCode::kValidation, std::string("Parameter AuthParameters is not valid. "
                                                        "Reason: ") +
                                                wanted + " is required for authorization type " +
                                                type + ".");
    }
    if (std::string_view(member) != wanted && present) {
      return Status(ErrorCode::kValidation,
                    std::string("Parameter AuthParameters is not valid. Reason: ") + member +
                        " does not match authorization type " + type + ".");
    }
  }
  if (const rapidjson::Value* oauth = MemberObject(auth, "OAuthParameters")) {
    const std::string endpoint = MemberText(*oauth, "AuthorizationEndpoint");
    if (!endpoint.empty() && !IsHttpsEndpoint(endpoint)) {
      return Status(ErrorCode::kValidation,
                    "Parameter AuthorizationEndpoint is not valid. Reason: it must be an https "
                    "URL.");
    }
  }
  return Status::Ok();
}

Result<std::string> MergeAuthParameters(const std::string& current, const std::string& new_type,
                                        const std::string& old_type,
                                        const rapidjson::Value& update) {
  rapidjson::Document doc;
  if (new_type != old_type) {
    doc.SetObject();
  } else if (!json::ParseBounded(current, &doc).ok() || !doc.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "a connection's stored parameters are unreadable");
  }
  if (update.IsObject()) MergeObject(doc, update, doc.GetAllocator());
  return ConnectionJsonText(doc);
}

std::string PublicAuthParameters(const std::string& full) {
  rapidjson::Document doc;
  if (!json::ParseBounded(full, &doc).ok() || !doc.IsObject()) return "{}";
  auto drop = [&](const char* object, const char* member) {
    auto it = doc.FindMember(object);
    if (it != doc.MemberEnd() && it->value.IsObject()) it->value.RemoveMember(member);
  };
  drop("BasicAuthParameters", "Password");
  drop("ApiKeyAuthParameters", "ApiKeyValue");
  if (auto oauth = doc.FindMember("OAuthParameters");
      oauth != doc.MemberEnd() && oauth->value.IsObject()) {
    if (auto client = oauth->value.FindMember("ClientParameters");
        client != oauth->value.MemberEnd() && client->value.IsObject()) {
      client->value.RemoveMember("ClientSecret");
    }
    if (auto p = oauth->value.FindMember("OAuthHttpParameters"); p != oauth->value.MemberEnd()) {
      StripSecretParameterValues(&p->value);
    }
  }
  if (auto p = doc.FindMember("InvocationHttpParameters"); p != doc.MemberEnd()) {
    StripSecretParameterValues(&p->value);
  }
  return ConnectionJsonText(doc);
}

Result<std::string> ManagedSecretValue(const std::string& type, const std::string& full) {
  rapidjson::Document doc;
  ARCANA_RETURN_IF_ERROR(json::ParseBounded(full, &doc));
  if (!doc.IsObject()) return Status(ErrorCode::kInternalFailure, "malformed AuthParameters");
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  const rapidjson::Value empty(rapidjson::kObjectType);
  auto object = [&](const rapidjson::Value& o, const char* name) -> const rapidjson::Value& {
    const rapidjson::Value* member = MemberObject(o, name);
    return member != nullptr ? *member : empty;
  };
  // A string member of `from` written as `as`, when present.
  auto copy = [&](const rapidjson::Value& from, const char* name, const char* as) {
    auto it = from.FindMember(name);
    if (it != from.MemberEnd() && it->value.IsString()) json::KV(w, as, it->value.GetString());
  };
  auto copy_value = [&](const rapidjson::Value& from, const char* name, const char* as) {
    auto it = from.FindMember(name);
    if (it == from.MemberEnd()) return;
    w.Key(as);
    it->value.Accept(w);
  };
  w.StartObject();
  if (type == "BASIC") {
    const auto& basic = object(doc, "BasicAuthParameters");
    copy(basic, "Username", "username");
    copy(basic, "Password", "password");
  } else if (type == "API_KEY") {
    const auto& key = object(doc, "ApiKeyAuthParameters");
    copy(key, "ApiKeyName", "api_key_name");
    copy(key, "ApiKeyValue", "api_key_value");
  } else if (type == "OAUTH_CLIENT_CREDENTIALS") {
    const auto& oauth = object(doc, "OAuthParameters");
    const auto& client = object(oauth, "ClientParameters");
    copy(client, "ClientID", "client_id");
    copy(client, "ClientSecret", "client_secret");
    copy(oauth, "AuthorizationEndpoint", "authorization_endpoint");
    copy(oauth, "HttpMethod", "http_method");
    copy_value(oauth, "OAuthHttpParameters", "oauth_http_parameters");
  }
  copy_value(doc, "InvocationHttpParameters", "invocation_http_parameters");
  w.EndObject();
  return json::Finish(buf);
}

std::optional<EventsResourceRef> ParseEventsResourceArn(const std::string& arn,
                                                        const std::string& kind) {
  // arn:aws:events:REGION:ACCOUNT:<kind>/NAME/UUID
  const std::string head = "arn:aws:events:";
  if (!arn.starts_with(head)) return std::nullopt;
  const size_t region_end = arn.find(':', head.size());
  if (region_end == std::string::npos) return std::nullopt;
  const size_t account_end = arn.find(':', region_end + 1);
  if (account_end == std::string::npos) return std::nullopt;
  const std::string resource = arn.substr(account_end + 1);
  if (!resource.starts_with(kind + "/")) return std::nullopt;
  const std::string rest = resource.substr(kind.size() + 1);
  const size_t slash = rest.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string::npos) {
    return std::nullopt;
  }
  EventsResourceRef ref;
  ref.region = arn.substr(head.size(), region_end - head.size());
  ref.account = arn.substr(region_end + 1, account_end - region_end - 1);
  ref.name = rest.substr(0, slash);
  if (ref.region.empty() || ref.account.empty()) return std::nullopt;
  return ref;
}

Result<OutgoingRequest> BuildApiDestinationRequest(const std::string& endpoint,
                                                   const std::string& method,
                                                   const std::string& auth_type,
                                                   const std::string& full,
                                                   const TargetHttpParameters& target,
                                                   const std::string& bearer, std::string body) {
  rapidjson::Document auth;
  if (!json::ParseBounded(full, &auth).ok() || !auth.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "a connection's parameters are unreadable");
  }
  OutgoingRequest out;
  out.method = method;
  out.body = std::move(body);
  out.content_type = "application/json; charset=utf-8";
  size_t next = 0;
  for (char c : endpoint) {
    if (c == '*' && next < target.path_values.size()) {
      out.url += FormEscape(target.path_values[next++]);
    } else {
      out.url += c;
    }
  }
  const rapidjson::Value* invocation = MemberObject(auth, "InvocationHttpParameters");
  HeaderList query = ConnectionParameterList(invocation, "QueryStringParameters");
  query.insert(query.end(), target.query.begin(), target.query.end());
  AppendQuery(out.url, query);
  // The target's headers first, the connection's after them: a connection's parameter wins
  // over a target's of the same name (AWS: "parameters set on the connection take precedence").
  out.headers = target.headers;
  for (auto& h : ConnectionParameterList(invocation, "HeaderParameters")) {
    out.headers.push_back(std::move(h));
  }
  if (auth_type == "BASIC") {
    const rapidjson::Value* basic = MemberObject(auth, "BasicAuthParameters");
    const std::string pair = basic ? MemberText(*basic, "Username") + ":" +
                                         MemberText(*basic, "Password")
                                   : ":";
    out.headers.emplace_back("Authorization", "Basic " + crypto::Base64Encode(pair));
  } else if (auth_type == "API_KEY") {
    const rapidjson::Value* key = MemberObject(auth, "ApiKeyAuthParameters");
    if (key != nullptr) {
      out.headers.emplace_back(MemberText(*key, "ApiKeyName"), MemberText(*key, "ApiKeyValue"));
    }
  } else if (auth_type == "OAUTH_CLIENT_CREDENTIALS") {
    out.headers.emplace_back("Authorization", "Bearer " + bearer);
  }
  for (const auto& [k, v] : out.headers) {
    if (k.empty() || !HeaderSafe(k) || !HeaderSafe(v)) {
      return Status(ErrorCode::kValidation, "a header parameter is not a valid HTTP header");
    }
  }
  return out;
}

Result<OutgoingRequest> BuildOAuthTokenRequest(const std::string& full) {
  rapidjson::Document auth;
  if (!json::ParseBounded(full, &auth).ok() || !auth.IsObject()) {
    return Status(ErrorCode::kInternalFailure, "a connection's parameters are unreadable");
  }
  const rapidjson::Value* oauth = MemberObject(auth, "OAuthParameters");
  if (oauth == nullptr) return Status(ErrorCode::kValidation, "the connection has no OAuth parameters");
  const rapidjson::Value* client = MemberObject(*oauth, "ClientParameters");
  OutgoingRequest out;
  out.method = MemberText(*oauth, "HttpMethod");
  if (out.method.empty()) out.method = "POST";
  out.url = MemberText(*oauth, "AuthorizationEndpoint");
  const rapidjson::Value* params = MemberObject(*oauth, "OAuthHttpParameters");
  AppendQuery(out.url, ConnectionParameterList(params, "QueryStringParameters"));
  out.headers = ConnectionParameterList(params, "HeaderParameters");
  const std::string id = client ? MemberText(*client, "ClientID") : "";
  const std::string secret = client ? MemberText(*client, "ClientSecret") : "";
  out.headers.emplace_back("Authorization", "Basic " + crypto::Base64Encode(id + ":" + secret));
  out.content_type = "application/x-www-form-urlencoded";
  out.body = "grant_type=client_credentials";
  for (const auto& [k, v] : ConnectionParameterList(params, "BodyParameters")) {
    out.body += "&" + FormEscape(k) + "=" + FormEscape(v);
  }
  for (const auto& [k, v] : out.headers) {
    if (k.empty() || !HeaderSafe(k) || !HeaderSafe(v)) {
      return Status(ErrorCode::kValidation, "a header parameter is not a valid HTTP header");
    }
  }
  return out;
}

Result<OAuthToken> ParseOAuthToken(const std::string& body) {
  rapidjson::Document doc;
  if (!json::ParseBounded(body, &doc).ok() || !doc.IsObject()) {
    return Status(ErrorCode::kServiceUnavailable, "the token endpoint's answer is not JSON");
  }
  OAuthToken t;
  t.access_token = MemberText(doc, "access_token");
  if (t.access_token.empty()) {
    return Status(ErrorCode::kServiceUnavailable, "the token endpoint answered no access_token");
  }
  if (auto it = doc.FindMember("expires_in"); it != doc.MemberEnd() && it->value.IsNumber()) {
    // The endpoint's number, bounded before the conversion (undefined for a double beyond
    // int64, NaN or infinity): at most a year; anything else keeps the default.
    const double seconds = it->value.GetDouble();
    if (std::isfinite(seconds) && seconds >= 0 && seconds <= kMaxOAuthTokenLifetimeS) {
      t.expires_in_s = static_cast<int64_t>(seconds);
    }
  }
  return t;
}

}  // namespace arcana::domain::events
