#include "agent/agent_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <limits>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <arpa/inet.h>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/aead.h"

namespace arcana::agent {
namespace {

Status Bad(const std::string& what) { return Status(ErrorCode::kInvalidParameter, what); }

// The AWS agent's messages for its own keys, word for word (aws_secretsmanager_agent/src/
// constants.rs): scripts and tests match them. Our keys keep messages naming the key.
constexpr const char* kBadLogLevel =
    "The log level specified in the configuration file isn't valid. The log level must be "
    "DEBUG, INFO, WARN, ERROR, or NONE.";
constexpr const char* kBadHttpPort =
    "The HTTP port specified in the configuration file isn't valid. The HTTP port must be in "
    "the range 1024 to 65535.";
constexpr const char* kBadTtl =
    "The TTL in seconds specified in the configuration file isn't valid. The TTL in seconds "
    "must be in the range 0 to 3600.";
constexpr const char* kBadCacheSize =
    "The cache size specified in the configuration file isn't valid. The cache size must be "
    "in the range 1 to 1000.";
constexpr const char* kBadMaxConn =
    "The maximum number of connections specified in the configuration file isn't valid. The "
    "maximum number of connections must be in the range 1 to 1000.";
constexpr const char* kEmptySsrfHeaders =
    "The list of SSRF headers in the configuration file can't be empty.";
constexpr const char* kEmptySsrfEnv =
    "The list of SSRF environment variables in the configuration file can't be empty.";
constexpr const char* kBadPrefix =
    "The path prefix specified in the configuration file must begin with /.";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The AWS agent's numbers may be TOML integers or strings ("2773").
Status Number(const toml::table& t, const char* key, int lo, int hi, int& out,
              const char* aws_message = nullptr) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  std::optional<int64_t> v;
  if (auto i = n->value_exact<int64_t>()) {
    v = *i;
  } else if (auto s = n->value_exact<std::string>()) {
    // Rust's str::parse, as the AWS agent reads them: no surrounding blanks (strtoll would
    // skip leading ones).
    char* end = nullptr;
    long long parsed = std::strtoll(s->c_str(), &end, 10);
    if (!s->empty() && !std::isspace(static_cast<unsigned char>(s->front())) &&
        end == s->c_str() + s->size()) {
      v = parsed;
    }
  }
  if (!v || *v < lo || *v > hi) {
    if (aws_message != nullptr) return Bad(aws_message);
    return Bad(std::string(key) + " must be an integer from " + std::to_string(lo) + " to " +
               std::to_string(hi));
  }
  out = static_cast<int>(*v);
  return Status::Ok();
}

Status Boolean(const toml::table& t, const char* key, bool& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  // The AWS agent's config crate also reads a bool from a string (true/false, on/off,
  // yes/no, 1/0, any case) or a number (0 = false), so its files may say log_to_file = "false".
  std::optional<bool> v = n->value_exact<bool>();
  if (auto s = n->value_exact<std::string>()) {
    const std::string l = Lower(*s);
    if (l == "true" || l == "on" || l == "yes" || l == "1") v = true;
    if (l == "false" || l == "off" || l == "no" || l == "0") v = false;
  } else if (auto i = n->value_exact<int64_t>()) {
    v = *i != 0;
  } else if (auto d = n->value_exact<double>()) {
    v = *d != 0.0;
  }
  if (!v) return Bad(std::string(key) + " must be true or false");
  out = *v;
  return Status::Ok();
}

Status String(const toml::table& t, const char* key, std::string& out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  auto v = n->value_exact<std::string>();
  if (!v) return Bad(std::string(key) + " must be a string");
  out = *v;
  return Status::Ok();
}

Status StringList(const toml::table& t, const char* key, std::vector<std::string>& out,
                  const char* empty_message) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  const toml::array* a = n->as_array();
  if (a == nullptr) return Bad(std::string(key) + " must be a list of strings");
  std::vector<std::string> items;
  for (const auto& e : *a) {
    auto s = e.value_exact<std::string>();
    if (!s || s->empty()) return Bad(std::string(key) + " must be a list of strings");
    items.push_back(*s);
  }
  if (items.empty()) return Bad(empty_message);
  out = std::move(items);
  return Status::Ok();
}

Status CheckLogLevel(std::string& level) {
  static const std::set<std::string> kLevels = {"debug", "info", "warn", "error", "none"};
  level = Lower(level);
  if (kLevels.count(level) == 0) {
    return Bad(kBadLogLevel);
  }
  return Status::Ok();
}

Status ApplyTable(const toml::table& t, AgentConfig& c) {
  // The AWS agent's keys in its order (config.rs ConfigFile), then ours.
  static const std::vector<std::string> kKeys = {
      "log_level", "http_address", "log_to_file", "http_port", "ttl_seconds", "cache_size",
      "ssrf_headers", "ssrf_env_variables", "path_prefix", "max_conn", "region",
      "ignore_transient_errors", "validate_credentials", "credentials_file_path",
      "ssm_ttl_seconds", "endpoint", "ssm_endpoint", "ca_file", "upstream_timeout_millis",
      "max_stale_seconds", "invalidation", "check_freshness", "change_wait_seconds"};
  for (const auto& [k, v] : t) {
    if (std::find(kKeys.begin(), kKeys.end(), k.str()) == kKeys.end()) {
      // serde's deny_unknown_fields, as the AWS agent reports an unknown key.
      std::string expected;
      for (const auto& key : kKeys) expected += (expected.empty() ? "`" : ", `") + key + "`";
      return Bad("unknown field `" + std::string(k.str()) + "`, expected one of " + expected);
    }
  }
  ARCANA_RETURN_IF_ERROR(String(t, "log_level", c.log_level));
  ARCANA_RETURN_IF_ERROR(CheckLogLevel(c.log_level));
  ARCANA_RETURN_IF_ERROR(Boolean(t, "log_to_file", c.log_to_file));
  ARCANA_RETURN_IF_ERROR(String(t, "http_address", c.http_address));
  in_addr addr{};
  if (inet_pton(AF_INET, c.http_address.c_str(), &addr) != 1) {
    return Bad("http_address must be an IPv4 address");
  }
  // 0 lets the system pick a free port (the AWS agent's range check only refuses 1..1023, and
  // its own tests run on port 0); the port is printed at start-up, as the AWS agent does.
  ARCANA_RETURN_IF_ERROR(Number(t, "http_port", 0, 65535, c.http_port, kBadHttpPort));
  if (c.http_port > 0 && c.http_port < 1024) return Bad(kBadHttpPort);
  ARCANA_RETURN_IF_ERROR(Number(t, "ttl_seconds", 0, 3600, c.ttl_seconds, kBadTtl));
  c.ssm_ttl_seconds = c.ttl_seconds;  // unless the file gives parameters their own
  ARCANA_RETURN_IF_ERROR(Number(t, "ssm_ttl_seconds", 0, 3600, c.ssm_ttl_seconds));
  ARCANA_RETURN_IF_ERROR(Number(t, "cache_size", 1, 1000, c.cache_size, kBadCacheSize));
  ARCANA_RETURN_IF_ERROR(StringList(t, "ssrf_headers", c.ssrf_headers, kEmptySsrfHeaders));
  ARCANA_RETURN_IF_ERROR(StringList(t, "ssrf_env_variables", c.ssrf_env_variables, kEmptySsrfEnv));
  ARCANA_RETURN_IF_ERROR(String(t, "path_prefix", c.path_prefix));
  if (c.path_prefix.empty() || c.path_prefix.front() != '/') {
    return Bad(kBadPrefix);
  }
  ARCANA_RETURN_IF_ERROR(Number(t, "max_conn", 1, 1000, c.max_conn, kBadMaxConn));
  ARCANA_RETURN_IF_ERROR(String(t, "region", c.region));
  ARCANA_RETURN_IF_ERROR(Boolean(t, "ignore_transient_errors", c.ignore_transient_errors));
  ARCANA_RETURN_IF_ERROR(Boolean(t, "validate_credentials", c.validate_credentials));
  ARCANA_RETURN_IF_ERROR(String(t, "credentials_file_path", c.credentials_file_path));
  ARCANA_RETURN_IF_ERROR(String(t, "endpoint", c.endpoint));
  ARCANA_RETURN_IF_ERROR(String(t, "ssm_endpoint", c.ssm_endpoint));
  ARCANA_RETURN_IF_ERROR(String(t, "ca_file", c.ca_file));
  ARCANA_RETURN_IF_ERROR(
      Number(t, "upstream_timeout_millis", 100, 120000, c.upstream_timeout_millis));
  ARCANA_RETURN_IF_ERROR(Number(t, "max_stale_seconds", 0, 86400, c.max_stale_seconds));
  ARCANA_RETURN_IF_ERROR(Boolean(t, "invalidation", c.invalidation));
  ARCANA_RETURN_IF_ERROR(Boolean(t, "check_freshness", c.check_freshness));
  ARCANA_RETURN_IF_ERROR(Number(t, "change_wait_seconds", 1, 20, c.change_wait_seconds));
  return Status::Ok();
}

// The Lambda extension's variables, over the file.
Status ApplyEnv(const EnvLookup& env, AgentConfig& c) {
  auto number = [&](const char* name, int lo, int hi, int& out) -> Status {
    auto v = env(name);
    if (!v) return Status::Ok();
    toml::table t;
    t.insert(name, *v);
    return Number(t, name, lo, hi, out);
  };
  ARCANA_RETURN_IF_ERROR(number("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", 1, 65535, c.http_port));
  // Each service's TTL from its own variable; the extension clamps TTLs above 300 s to 300 s
  // (SECRETS_MANAGER_TTL: any value above; SSM_PARAMETER_STORE_TTL's
  // documented range is 0-300, so only the agent's own 3600 is let through to be clamped).
  auto ttl = [&](const char* name, int hi, int& out) -> Status {
    if (!env(name)) return Status::Ok();
    ARCANA_RETURN_IF_ERROR(number(name, 0, hi, out));
    out = std::min(out, 300);
    return Status::Ok();
  };
  ARCANA_RETURN_IF_ERROR(ttl("SECRETS_MANAGER_TTL", std::numeric_limits<int>::max(), c.ttl_seconds));
  ARCANA_RETURN_IF_ERROR(ttl("SSM_PARAMETER_STORE_TTL", 3600, c.ssm_ttl_seconds));
  // The cache switched off (size 0 or disabled) wins over any TTL: nothing is cached.
  int cache_size = c.cache_size;
  ARCANA_RETURN_IF_ERROR(number("PARAMETERS_SECRETS_EXTENSION_CACHE_SIZE", 0, 1000, cache_size));
  auto enabled = env("PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED");
  if (cache_size == 0 || (enabled && Lower(*enabled) == "false")) {
    c.ttl_seconds = 0;
    c.ssm_ttl_seconds = 0;
  } else {
    c.cache_size = cache_size;
  }
  // Each service's upstream timeout (the extension's default 0: none of its own).
  ARCANA_RETURN_IF_ERROR(number("SECRETS_MANAGER_TIMEOUT_MILLIS", 0, 120000, c.sm_timeout_millis));
  ARCANA_RETURN_IF_ERROR(
      number("SSM_PARAMETER_STORE_TIMEOUT_MILLIS", 0, 120000, c.ssm_timeout_millis));
  if (auto level = env("PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL")) {
    c.log_level = *level;
    ARCANA_RETURN_IF_ERROR(CheckLogLevel(c.log_level));
  }
  return Status::Ok();
}

Result<AgentConfig> Parse(std::string_view text, const std::string& source, const EnvLookup& env) {
  AgentConfig c;
  if (!text.empty()) {
    toml::table t;
    try {
      t = toml::parse(text, source);
    } catch (const toml::parse_error& e) {
      // The toml crate's words, as the AWS agent reports a file it cannot parse.
      return Bad("TOML parse error at line " + std::to_string(e.source().begin.line) +
                 ", column " + std::to_string(e.source().begin.column) + ": " +
                 std::string(e.description()) + " in " + source);
    }
    if (Status st = ApplyTable(t, c); !st.ok()) return Bad(source + ": " + st.message());
  }
  ARCANA_RETURN_IF_ERROR(ApplyEnv(env, c));
  return c;
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

Result<AgentConfig> ParseAgentConfig(std::string_view toml_text, const EnvLookup& env) {
  return Parse(toml_text, "config", env);
}

Result<AgentConfig> LoadAgentConfig(const std::string& path, const EnvLookup& env) {
  if (path.empty()) return Parse("", "", env);
  std::ifstream in(path);
  if (!in) return Bad("configuration file \"" + path + "\" not found");  // the AWS agent's
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  if (text.empty()) text = "\n";  // an empty file is a valid (all-defaults) file
  return Parse(text, path, env);
}

Result<crypto::SecretString> ReadSsrfToken(const AgentConfig& cfg, const EnvLookup& env) {
  // The AWS agent's start-up error (main.rs): the variable list in Rust's Debug form, then
  // the cause in Rust's words.
  auto cannot_read = [&cfg](const std::string& cause) {
    std::string names;
    for (const auto& n : cfg.ssrf_env_variables) names += (names.empty() ? "\"" : ", \"") + n + "\"";
    return Bad("Could not read SSRF token variable(s) [" + names + "]: " + cause);
  };
  for (const auto& name : cfg.ssrf_env_variables) {
    auto v = env(name);
    if (!v) continue;
    std::string value = std::move(*v);
    if (value.rfind("file://", 0) == 0) {
      std::string path = value.substr(7);
      std::ifstream in(path);
      if (!in) {
        const int err = errno;
        crypto::SecureWipe(value);
        return cannot_read(std::string(std::strerror(err)) + " (os error " +
                           std::to_string(err) + ")");
      }
      std::stringstream ss;
      ss << in.rdbuf();
      crypto::SecureWipe(value);
      value = ss.str();
      const auto first = value.find_first_not_of(" \t\r\n");
      const auto last = value.find_last_not_of(" \t\r\n");
      std::string trimmed =
          first == std::string::npos ? "" : value.substr(first, last - first + 1);
      crypto::SecureWipe(value);
      value = std::move(trimmed);
    }
    if (value.empty()) return Bad("the SSRF token in " + name + " is empty");
    return crypto::SecretString::Take(value);
  }
  return cannot_read("environment variable not found");
}

}  // namespace arcana::agent
