// The few Secrets Manager calls `arcana migrate` makes, over the public API (JSON 1.1, SigV4)
// with the caller's own credentials, like any AWS SDK client: AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the shared credentials file
// (AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, profile AWS_PROFILE or "default").
// Region: the flag, AWS_REGION, AWS_DEFAULT_REGION, else us-east-1. Endpoint: the flag,
// AWS_ENDPOINT_URL_SECRETS_MANAGER, AWS_ENDPOINT_URL, else http://127.0.0.1:7770.
// Thread-safety: one call at a time.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/operator_client.h"
#include "common/status.h"
#include "crypto/secure_memory.h"

namespace arcana::migrate {

struct AwsCredentials {
  std::string access_key_id;
  crypto::SecretString secret_access_key;
  std::string session_token;
};

// Errors: kInvalidParameter when no credentials are configured (the message says where it
// looked).
Result<AwsCredentials> ResolveCredentials();

// An AWS error answer: its __type (e.g. "ResourceExistsException") and message.
struct ApiError {
  int http_status = 0;
  std::string type;
  std::string message;
};

class SecretsManagerClient {
 public:
  // endpoint_url/region: "" = from the environment as above. Errors: kInvalidParameter.
  static Result<SecretsManagerClient> Create(const std::string& endpoint_url,
                                             const std::string& region);

  using Tags = std::vector<std::pair<std::string, std::string>>;
  // CreateSecret. Result: nullopt on success, the API error otherwise (ResourceExists...).
  // Network failures: a non-OK Status.
  Result<std::optional<ApiError>> CreateSecret(const std::string& name, std::string_view value,
                                               const Tags& tags);
  // GetSecretValue's SecretString (AWSCURRENT). ApiError when the call was refused.
  Result<std::optional<ApiError>> GetSecretString(const std::string& id, crypto::SecretString* out);
  Result<std::optional<ApiError>> TagResource(const std::string& id, const Tags& tags);

  const std::string& endpoint_url() const { return endpoint_url_; }
  const std::string& region() const { return region_; }

 private:
  Result<cli::HttpReply> Call(const std::string& op, const std::string& body);

  cli::Endpoint endpoint_;
  std::string endpoint_url_;
  std::string region_;
  AwsCredentials creds_;
};

}  // namespace arcana::migrate
