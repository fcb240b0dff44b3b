#include "domain/events/target.h"

#include <cctype>
#include <string_view>

#include "common/json.h"
#include "domain/rotation/function_spec.h"

namespace arcana::domain::events {

namespace {

// Where an http:// or https:// URL's authority begins; 0 for any other URL.
size_t AuthorityStart(const std::string& url) {
  if (url.rfind("http://", 0) == 0) return 7;
  if (url.rfind("https://", 0) == 0) return 8;
  return 0;
}

}  // namespace

bool IsHttpTargetUrl(const std::string& url) {
  if (url.size() > 1600) return false;
  const size_t host_at = AuthorityStart(url);
  if (host_at == 0) return false;
  if (host_at >= url.size() || url[host_at] == '/' || url[host_at] == ':') return false;
  if (HasUrlUserinfo(url)) return false;  // the HTTP client never sends to one
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool HasUrlUserinfo(const std::string& url) {
  const size_t host_at = AuthorityStart(url);
  if (host_at == 0) return false;
  const size_t end = url.find_first_of("/?#", host_at);
  const std::string_view authority =
      std::string_view(url).substr(host_at, end == std::string::npos ? std::string::npos
                                                                      : end - host_at);
  return authority.find('@') != std::string_view::npos;
}

bool IsLambdaFunctionArn(const std::string& arn) {
  return domain::rotation::ParseLambdaArn(arn).has_value();
}

std::optional<BusTarget> ParseBusTargetArn(const std::string& arn) {
  // arn:aws:events:<region>:<account>:event-bus/<name>, a name of [.-_A-Za-z0-9]{1,256}.
  static constexpr std::string_view kPrefix = "arn:aws:events:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  const size_t region_end = arn.find(':', kPrefix.size());
  if (region_end == std::string::npos) return std::nullopt;
  const size_t account_end = arn.find(':', region_end + 1);
  if (account_end == std::string::npos) return std::nullopt;
  std::string_view resource = std::string_view(arn).substr(account_end + 1);
  if (!resource.starts_with("event-bus/")) return std::nullopt;
  BusTarget t{arn.substr(kPrefix.size(), region_end - kPrefix.size()),
              arn.substr(region_end + 1, account_end - region_end - 1),
              std::string(resource.substr(10))};
  if (t.region.empty() || t.account.size() != 12 || t.name.empty() || t.name.size() > 256) {
    return std::nullopt;
  }
  for (char c : t.account) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  for (char c : t.name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') {
      return std::nullopt;
    }
  }
  return t;
}

bool IsApiDestinationArn(const std::string& arn) {
  static const std::string kHead = "arn:aws:events:";
  if (!arn.starts_with(kHead)) return false;
  const size_t region_end = arn.find(':', kHead.size());
  if (region_end == std::string::npos) return false;
  const size_t account_end = arn.find(':', region_end + 1);
  if (account_end == std::string::npos) return false;
  return std::string_view(arn).substr(account_end + 1).starts_with("api-destination/");
}

TargetHttpParameters ParseTargetHttpParameters(const rapidjson::Value& v) {
  TargetHttpParameters p;
  if (!v.IsObject()) return p;
  if (auto it = v.FindMember("PathParameterValues"); it != v.MemberEnd() && it->value.IsArray()) {
    for (const auto& s : it->value.GetArray()) {
      if (s.IsString()) p.path_values.emplace_back(s.GetString(), s.GetStringLength());
    }
  }
  auto map = [&v](const char* name, std::vector<std::pair<std::string, std::string>>* out) {
    auto it = v.FindMember(name);
    if (it == v.MemberEnd() || !it->value.IsObject()) return;
    for (const auto& m : it->value.GetObject()) {
      if (!m.value.IsString()) continue;
      out->emplace_back(std::string(m.name.GetString(), m.name.GetStringLength()),
                        std::string(m.value.GetString(), m.value.GetStringLength()));
    }
  };
  map("HeaderParameters", &p.headers);
  map("QueryStringParameters", &p.query);
  return p;
}

std::string EncodeTarget(const HttpTarget& t) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Id", t.id);
  json::KV(w, "Arn", t.url);
  if (!t.role_arn.empty()) json::KV(w, "RoleArn", t.role_arn);
  if (t.input) json::KV(w, "Input", *t.input);
  if (t.input_path) json::KV(w, "InputPath", *t.input_path);
  if (t.input_transformer) {
    w.Key("InputTransformer");
    w.StartObject();
    if (!t.input_transformer->paths.empty()) {
      w.Key("InputPathsMap");
      w.StartObject();
      for (const auto& [name, path] : t.input_transformer->paths) {
        json::WriteStr(w, name);
        json::WriteStr(w, path);
      }
      w.EndObject();
    }
    json::KV(w, "InputTemplate", t.input_transformer->input_template);
    w.EndObject();
  }
  if (t.max_retry_attempts || t.max_event_age_seconds) {
    w.Key("RetryPolicy");
    w.StartObject();
    if (t.max_retry_attempts) {
      w.Key("MaximumRetryAttempts");
      w.Int(*t.max_retry_attempts);
    }
    if (t.max_event_age_seconds) {
      w.Key("MaximumEventAgeInSeconds");
      w.Int(*t.max_event_age_seconds);
    }
    w.EndObject();
  }
  if (t.http_parameters) {
    w.Key("HttpParameters");
    w.StartObject();
    if (!t.http_parameters->path_values.empty()) {
      w.Key("PathParameterValues");
      w.StartArray();
      for (const auto& s : t.http_parameters->path_values) json::WriteStr(w, s);
      w.EndArray();
    }
    for (const auto& [key, list] :
         {std::pair{"HeaderParameters", &t.http_parameters->headers},
          std::pair{"QueryStringParameters", &t.http_parameters->query}}) {
      if (list->empty()) continue;
      w.Key(key);
      w.StartObject();
      for (const auto& [k, val] : *list) {
        json::WriteStr(w, k);
        json::WriteStr(w, val);
      }
      w.EndObject();
    }
    w.EndObject();
  }
  w.EndObject();
  return json::Finish(buf);
}

Result<HttpTarget> DecodeTarget(const std::string& document) {
  rapidjson::Document d;
  if (!json::ParseBounded(document, &d).ok() || !d.IsObject() || !d.HasMember("Arn")) {
    return Status(ErrorCode::kInternalServiceError, "stored event target is corrupt");
  }
  HttpTarget t;
  t.id = json::StrField(d, "Id");
  t.url = json::StrField(d, "Arn");
  if (d.HasMember("Input") && d["Input"].IsString()) t.input = d["Input"].GetString();
  if (d.HasMember("InputPath") && d["InputPath"].IsString()) t.input_path = d["InputPath"].GetString();
  if (d.HasMember("InputTransformer") && d["InputTransformer"].IsObject()) {
    const rapidjson::Value& it = d["InputTransformer"];
    InputTransformer transformer;
    transformer.input_template = json::StrField(it, "InputTemplate");
    if (it.HasMember("InputPathsMap") && it["InputPathsMap"].IsObject()) {
      for (const auto& m : it["InputPathsMap"].GetObject()) {
        if (!m.value.IsString()) continue;
        transformer.paths.emplace_back(
            std::string(m.name.GetString(), m.name.GetStringLength()),
            std::string(m.value.GetString(), m.value.GetStringLength()));
      }
    }
    t.input_transformer = std::move(transformer);
  }
  t.role_arn = json::StrField(d, "RoleArn");
  if (d.HasMember("HttpParameters")) t.http_parameters = ParseTargetHttpParameters(d["HttpParameters"]);
  if (d.HasMember("RetryPolicy") && d["RetryPolicy"].IsObject()) {
    const rapidjson::Value& retry = d["RetryPolicy"];
    if (auto n = json::OptIntField(retry, "MaximumRetryAttempts")) {
      t.max_retry_attempts = static_cast<int>(*n);
    }
    if (auto n = json::OptIntField(retry, "MaximumEventAgeInSeconds")) {
      t.max_event_age_seconds = static_cast<int>(*n);
    }
  }
  return t;
}

}  // namespace arcana::domain::events
