// Where arcana-agent's SigV4 credentials, region and upstream endpoints come from: the usual
// AWS sources, so the same environment that drives the aws CLI drives the agent.
//   credentials: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the
//                shared credentials file (credentials_file_path, AWS_SHARED_CREDENTIALS_FILE,
//                ~/.aws/credentials), profile AWS_PROFILE (default "default"); a file is
//                re-read when its modification time changes (rotated credentials).
//   region:      config `region`, AWS_REGION, AWS_DEFAULT_REGION, us-east-1.
//   endpoints:   config `endpoint` / `ssm_endpoint`, AWS_ENDPOINT_URL_SECRETS_MANAGER /
//                AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL, then https://<svc>.<region>.amazonaws.com.
// Thread-safety: CredentialSource::Current() may be called from any thread.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "agent/agent_config.h"
#include "common/status.h"
#include "crypto/secure_memory.h"

namespace arcana::agent {

struct AwsCredentials {
  std::string access_key_id;
  crypto::SecretString secret_access_key;
  crypto::SecretString session_token;  // empty: long-term keys
};

// Parses a shared credentials file's text (INI) and returns `profile`'s keys.
// Errors: kInvalidParameter when the profile or one of its two keys is missing.
Result<AwsCredentials> ParseSharedCredentials(std::string_view text, const std::string& profile);

class CredentialSource {
 public:
  CredentialSource(const AgentConfig& cfg, EnvLookup env);
  // The credentials to sign with now: the file's as of its latest version that read whole
  // (a half-written one keeps the previous credentials). Errors: kInvalidParameter (none found).
  Result<AwsCredentials> Current();

 private:
  EnvLookup env_;
  std::string file_;  // "" when the environment has the keys
  std::string profile_;
  std::mutex mu_;
  std::optional<AwsCredentials> from_env_;
  std::optional<AwsCredentials> cached_;  // from file_, read at mtime_ns_
  int64_t mtime_ns_ = -1;
  int64_t bad_mtime_ns_ = -1;  // a version of the file that did not read whole
};

std::string ResolveRegion(const AgentConfig& cfg, const EnvLookup& env);
// service: "secretsmanager" or "ssm".
std::string ResolveEndpoint(const AgentConfig& cfg, const EnvLookup& env,
                            const std::string& service, const std::string& region);

}  // namespace arcana::agent
