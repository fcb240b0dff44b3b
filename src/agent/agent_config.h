// arcana-agent's configuration: the AWS Secrets Manager Agent's TOML keys with its defaults
// and ranges (aws-wire-contracts.md 6.2), a few keys of our own, and the Lambda
// Parameters-and-Secrets extension's environment variables (6.1). Sources, highest first:
// the extension's environment variables, the TOML file (`--config FILE`), defaults. As in the
// AWS agent, an unknown key or a value out of range refuses the file with a message naming it.
// Thread-safety: plain functions and values.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/secure_memory.h"

namespace arcana::agent {

// Reads an environment variable (unset: nullopt). Tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup ProcessEnv();

struct AgentConfig {
  // --- the AWS Secrets Manager Agent's keys ---
  std::string log_level = "info";  // debug | info | warn | error | none (any case)
  bool log_to_file = true;         // logs/secrets_manager_agent.log, 10 MB x 5; else stderr
  std::string http_address = "127.0.0.1";  // IPv4
  int http_port = 2773;                    // 1024..65535, or 0: any free port
  int ttl_seconds = 300;                   // 0..3600; 0 = no caching (secrets)
  int cache_size = 1000;                   // 1..1000 entries
  std::vector<std::string> ssrf_headers = {"X-Aws-Parameters-Secrets-Token", "X-Vault-Token"};
  std::vector<std::string> ssrf_env_variables = {"AWS_TOKEN", "AWS_SESSION_TOKEN",
                                                 "AWS_CONTAINER_AUTHORIZATION_TOKEN"};
  std::string path_prefix = "/v1/";  // must start with '/'
  int max_conn = 800;                // 1..1000 simultaneous connections
  std::string region;                // "" = AWS_REGION, AWS_DEFAULT_REGION, us-east-1
  bool ignore_transient_errors = true;  // serve the cached value when the upstream is down
  // Accepted so AWS agent files load; arcanad serves no STS, so nothing is called at start.
  bool validate_credentials = true;
  std::string credentials_file_path;  // shared credentials file ("" = the SDK's search)

  // --- Arcana's keys ---
  // Parameters' TTL (the extension's SSM_PARAMETER_STORE_TTL): 0..3600, 0 = no caching of
  // parameters. Not in the file: ttl_seconds, so an AWS agent file caches both alike.
  int ssm_ttl_seconds = 300;
  // Secrets Manager endpoint URL ("" = AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL,
  // then https://secretsmanager.<region>.amazonaws.com). The change stream is read there.
  std::string endpoint;
  std::string ssm_endpoint;  // "" = AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL, then AWS's
  std::string ca_file;       // PEM CAs for https upstreams ("" = AWS_CA_BUNDLE, system CAs)
  int upstream_timeout_millis = 10000;  // 100..120000 per upstream request
  // Per service, from the Lambda extension's SECRETS_MANAGER_TIMEOUT_MILLIS and
  // SSM_PARAMETER_STORE_TIMEOUT_MILLIS (0, its default "no timeout of its own", and unset
  // = upstream_timeout_millis). The change stream keeps upstream_timeout_millis.
  int sm_timeout_millis = 0;
  int ssm_timeout_millis = 0;
  // Stale-on-error: how long past its fetch a cached value may still be served (flagged with
  // X-Arcana-Stale) while the upstream is unreachable. 0..86400.
  int max_stale_seconds = 3600;
  // Subscribe to arcanad's change stream (GET /_arcana/changes) and drop entries it names.
  bool invalidation = true;
  // Before answering from the cache, confirm with one short change-stream read (shared by
  // concurrent requests) that nothing was missed: a read after a write acknowledged anywhere
  // never sees the old value. false: the cache trusts the push alone (no round trip per read;
  // a change may take the stream's delivery time, milliseconds, to arrive).
  bool check_freshness = true;
  int change_wait_seconds = 20;  // long-poll hold, 1..20
};

// Loads `path` (TOML) over the defaults, then the Lambda extension's environment variables
// (PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, _CACHE_SIZE (0 = no caching), _LOG_LEVEL,
// SECRETS_MANAGER_TTL (secrets) and SSM_PARAMETER_STORE_TTL (parameters), each clamped to
// 300 s, 0 = no caching of that service; PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED=FALSE;
// SECRETS_MANAGER_TIMEOUT_MILLIS, SSM_PARAMETER_STORE_TIMEOUT_MILLIS: 0..120000).
// path "" = none.
// Errors: kInvalidParameter naming the file and the problem: for the AWS agent's keys in its
// words (constants.rs), for ours naming the key and allowed range.
Result<AgentConfig> LoadAgentConfig(const std::string& path, const EnvLookup& env);
// Same, from TOML text (tests).
Result<AgentConfig> ParseAgentConfig(std::string_view toml_text, const EnvLookup& env);

// The SSRF token (as the AWS agent): the value of the first variable of ssrf_env_variables
// that is set; "file://PATH" reads the token from PATH (surrounding whitespace trimmed).
// Errors: kInvalidParameter when none is set or the file is unreadable (the AWS agent's
// "Could not read SSRF token variable(s) [...]: <cause>"), or the value is empty.
Result<crypto::SecretString> ReadSsrfToken(const AgentConfig& cfg, const EnvLookup& env);

}  // namespace arcana::agent
