#include "domain/rotation/function_spec.h"

#include <arpa/inet.h>

#include <rapidjson/document.h>

#include "common/json.h"

namespace arcana::domain::rotation {
namespace {

Status Invalid(std::string msg) { return Status(ErrorCode::kInvalidParameter, std::move(msg)); }

bool IsNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

// An address literal in 127.0.0.0/8 or ::1, or "localhost". A name that only starts with
// "127." (127.evil.example) resolves wherever its owner likes: it is no loopback host.
bool IsLoopbackHost(const std::string& host) {
  if (host == "localhost" || host == "[::1]") return true;
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

}  // namespace

std::optional<LambdaArn> ParseLambdaArn(const std::string& arn) {
  constexpr std::string_view kPrefix = "arn:aws:lambda:";
  if (!arn.starts_with(kPrefix)) return std::nullopt;
  std::string rest = arn.substr(kPrefix.size());
  size_t c1 = rest.find(':');
  if (c1 == std::string::npos) return std::nullopt;
  size_t c2 = rest.find(':', c1 + 1);
  if (c2 == std::string::npos) return std::nullopt;
  LambdaArn out{rest.substr(0, c1), rest.substr(c1 + 1, c2 - c1 - 1), ""};
  std::string tail = rest.substr(c2 + 1);
  if (!tail.starts_with("function:")) return std::nullopt;
  out.name = tail.substr(9);
  if (!ValidateRegion(out.region).ok() || out.account.size() != 12 ||
      !ValidateFunctionName(out.name).ok()) {
    return std::nullopt;
  }
  for (char c : out.account) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  return out;
}

std::optional<LambdaArn> ParseManagedRotatorArn(const std::string& arn) {
  // arn:aws:lambda:R:A:function:arcana:ROTATOR is function "arcana" qualified "ROTATOR" to
  // ParseLambdaArn (which refuses qualifiers): parse it as function "arcana-ROTATOR" and cut.
  const std::string marker = std::string(":function:") + kManagedRotatorPrefix;
  size_t at = arn.find(marker);
  if (at == std::string::npos) return std::nullopt;
  std::string as_plain = arn;
  as_plain[at + marker.size() - 1] = '-';
  auto parsed = ParseLambdaArn(as_plain);
  if (!parsed) return std::nullopt;
  parsed->name = parsed->name.substr(marker.size() - std::string(":function:").size());
  if (parsed->name.empty()) return std::nullopt;
  return parsed;
}

std::string LambdaArnOf(const std::string& region, const std::string& account,
                        const std::string& name) {
  return "arn:aws:lambda:" + region + ":" + account + ":function:" + name;
}

Status ValidateRegion(const std::string& region) {
  // Letters, then one or more "-word", the last of them digits.
  size_t dash = region.rfind('-');
  bool ok = region.size() <= 64 && dash != std::string::npos && dash > 0 &&
            dash + 1 < region.size() && region[0] >= 'a' && region[0] <= 'z';
  for (size_t i = 0; ok && i < region.size(); ++i) {
    char c = region[i];
    ok = i > dash ? (c >= '0' && c <= '9')
                  : ((c >= 'a' && c <= 'z') || (c == '-' && region[i - 1] != '-'));
  }
  return ok ? Status::Ok() : Invalid("not a region name: " + region);
}

Status ValidateFunctionName(const std::string& name) {
  if (name.empty() || name.size() > 64) {
    return Invalid("A function name must be 1 to 64 characters.");
  }
  for (char c : name) {
    if (!IsNameChar(c)) {
      return Invalid("A function name may hold only letters, digits, '-' and '_': " + name);
    }
  }
  return Status::Ok();
}

Status ValidateTarget(const std::string& kind, const std::string& target) {
  if (kind == kKindExec || kind == kKindPython) {
    if (target.empty() || target.front() != '/') {
      return Invalid(std::string(kind == kKindExec ? "--exec" : "--python") +
                   " needs an absolute path: " + target);
    }
    return Status::Ok();
  }
  if (kind == kKindBuiltin) return Status::Ok();  // the name is checked where rotators are known
  if (kind == kKindZip) return Status::Ok();  // the package's digest (rotation/function_package.h)
  if (kind != kKindUrl) return Invalid("unknown function kind " + kind);
  bool tls = target.starts_with("https://");
  if (!tls && !target.starts_with("http://")) {
    return Invalid("--url must be http:// or https://: " + target);
  }
  std::string rest = target.substr(tls ? 8 : 7);
  std::string authority = rest.substr(0, rest.find('/'));
  std::string host = authority;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty()) return Invalid("--url has no host: " + target);
  if (!tls && !IsLoopbackHost(host)) {
    return Invalid("--url must be https:// for a non-loopback host (every invocation carries "
                   "credentials): " + target);
  }
  return Status::Ok();
}

Status ValidatePythonHandler(const std::string& handler) {
  size_t parts = 0;
  size_t start = 0;
  for (;;) {
    size_t dot = handler.find('.', start);
    std::string part = handler.substr(start, dot == std::string::npos ? dot : dot - start);
    bool ok = !part.empty() && !(part[0] >= '0' && part[0] <= '9');
    for (char c : part) ok = ok && IsNameChar(c) && c != '-';
    if (!ok) return Invalid("--handler must be module.function, e.g. lambda_function.lambda_handler");
    ++parts;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (parts < 2) return Invalid("--handler must be module.function, e.g. lambda_function.lambda_handler");
  return Status::Ok();
}

Status ValidateTimeout(int64_t seconds) {
  if (seconds < 1 || seconds > kMaxTimeoutSeconds) {
    return Invalid("--timeout must be between 1 and 900 seconds.");
  }
  return Status::Ok();
}

Status ValidateEnv(const EnvVars& env) {
  size_t bytes = 0;
  for (const auto& [k, v] : env) {
    bool ok = !k.empty() && ((k[0] >= 'A' && k[0] <= 'Z') || (k[0] >= 'a' && k[0] <= 'z'));
    for (char c : k) ok = ok && (IsNameChar(c) && c != '-');
    if (!ok) return Invalid("bad environment variable name: " + k);
    if (k.starts_with("AWS_") || k == "SECRETS_MANAGER_ENDPOINT") {
      return Invalid("environment variable " + k + " is set by Arcana for every invocation");
    }
    if (k == kMasterSecretsVar) {
      return Invalid(std::string(kMasterSecretsVar) + " is set with --master-secret");
    }
    bytes += k.size() + v.size();
  }
  if (bytes > kMaxEnvBytes) return Invalid("environment variables exceed 4 KB in total");
  return Status::Ok();
}

Status ValidateMasterSecretArn(const std::string& arn) {
  constexpr std::string_view kPrefix = "arn:aws:secretsmanager:";
  if (!arn.starts_with(kPrefix) || arn.size() == kPrefix.size() || arn.size() > 2048 ||
      arn.find(',') != std::string::npos) {
    return Invalid("--master-secret needs a secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:"
                   "secret:NAME-*): " + arn);
  }
  return Status::Ok();
}

std::vector<std::string> MasterSecretsOf(const EnvVars& env) {
  std::vector<std::string> out;
  auto it = env.find(kMasterSecretsVar);
  if (it == env.end()) return out;
  size_t start = 0;
  for (;;) {
    size_t comma = it->second.find(',', start);
    std::string one = it->second.substr(start, comma == std::string::npos ? comma : comma - start);
    if (ValidateMasterSecretArn(one).ok()) out.push_back(one);
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

Result<std::pair<std::string, std::string>> ParseEnvAssignment(const std::string& kv) {
  size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0) return Invalid("--env needs K=V: " + kv);
  return std::make_pair(kv.substr(0, eq), kv.substr(eq + 1));
}

std::string EncodeEnv(const EnvVars& env) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  for (const auto& [k, v] : env) json::KV(w, k.c_str(), v);
  w.EndObject();
  return json::Finish(buf);
}

EnvVars DecodeEnv(const std::string& text) {
  EnvVars out;
  rapidjson::Document doc;
  if (!json::ParseBounded(text, &doc).ok() || !doc.IsObject()) return out;
  for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
    if (it->value.IsString()) {
      out[std::string(it->name.GetString(), it->name.GetStringLength())] =
          std::string(it->value.GetString(), it->value.GetStringLength());
    }
  }
  return out;
}

}  // namespace arcana::domain::rotation

namespace arcana::domain::rotation {

std::string RotationSessionPolicy(const std::string& secret_arn, const std::string& region,
                                  const std::vector<std::string>& master_secrets) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "Version", "2012-10-17");
  w.Key("Statement");
  w.StartArray();
  w.StartObject();
  json::KV(w, "Effect", "Allow");
  w.Key("Action");
  json::WriteStringList(w, {"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                            "secretsmanager:PutSecretValue",
                            "secretsmanager:UpdateSecretVersionStage"});
  json::KV(w, "Resource", secret_arn);
  w.EndObject();
  w.StartObject();
  json::KV(w, "Effect", "Allow");
  json::KV(w, "Action", "secretsmanager:GetRandomPassword");
  json::KV(w, "Resource", "*");
  w.EndObject();
  if (!master_secrets.empty()) {
    w.StartObject();
    json::KV(w, "Effect", "Allow");
    json::KV(w, "Action", "secretsmanager:GetSecretValue");
    w.Key("Resource");
    json::WriteStringList(w, master_secrets);
    w.EndObject();
  }
  w.StartObject();
  json::KV(w, "Effect", "Allow");
  w.Key("Action");
  json::WriteStringList(w, {"kms:Decrypt", "kms:GenerateDataKey"});
  json::KV(w, "Resource", "*");
  w.Key("Condition");
  w.StartObject();
  w.Key("StringEquals");
  w.StartObject();
  json::KV(w, "kms:ViaService", "secretsmanager." + region + ".amazonaws.com");
  w.EndObject();
  w.EndObject();
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return json::Finish(buf);
}

}  // namespace arcana::domain::rotation
