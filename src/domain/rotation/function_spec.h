// Rotation functions as Arcana registers them (storage/function_store.h holds the rows):
// the rules for names, targets, environment variables and timeouts, and the Lambda ARN
// that names one (RotationLambdaARN). Pure code, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace arcana::domain::rotation {

inline constexpr const char* kKindUrl = "url";        // POST of the event JSON
inline constexpr const char* kKindExec = "exec";      // a local executable, event on stdin
inline constexpr const char* kKindPython = "python";  // a Lambda Python-runtime function folder
inline constexpr const char* kKindBuiltin = "builtin";  // a rotator shipped with Arcana
inline constexpr const char* kKindZip = "zip";  // Lambda API: a Python package kept in the store
inline constexpr int64_t kDefaultTimeoutSeconds = 30;
inline constexpr int64_t kMaxTimeoutSeconds = 900;    // Lambda's maximum
inline constexpr size_t kMaxEnvBytes = 4096;          // Lambda's limit for all variables

struct LambdaArn {
  std::string region;
  std::string account;
  std::string name;
};

// arn:aws:lambda:REGION:ACCOUNT:function:NAME (an unqualified function; a version or alias
// qualifier is refused). nullopt when it is not one.
std::optional<LambdaArn> ParseLambdaArn(const std::string& arn);
std::string LambdaArnOf(const std::string& region, const std::string& account,
                        const std::string& name);
// arn:aws:lambda:REGION:ACCOUNT:function:arcana:ROTATOR, the ARN of a managed rotator used
// without registration (name = ROTATOR, which the caller checks against the rotators it
// knows). Registered names cannot hold ':', so it never names a registered function.
// nullopt when it is not one.
std::optional<LambdaArn> ParseManagedRotatorArn(const std::string& arn);
inline constexpr const char* kManagedRotatorPrefix = "arcana:";

// A Python handler "module.function" (Lambda's form; the module may be a dotted path):
// identifiers separated by dots, at least two parts. Errors: kInvalidParameter.
Status ValidatePythonHandler(const std::string& handler);

// An AWS region name (us-east-1, eu-central-2, ...): [a-z]+(-[a-z]+)*-[0-9]+.
// Errors: kInvalidParameter.
Status ValidateRegion(const std::string& region);

// Lambda's function-name rule: 1-64 of [A-Za-z0-9_-]. Errors: kInvalidParameter.
Status ValidateFunctionName(const std::string& name);
// url: http(s)://HOST[:PORT]/PATH; plain http only to a loopback host (the request carries
// credentials). exec, python: an absolute path (python: the function's folder).
// Errors: kInvalidParameter.
Status ValidateTarget(const std::string& kind, const std::string& target);
// 1..kMaxTimeoutSeconds. Errors: kInvalidParameter.
Status ValidateTimeout(int64_t seconds);

using EnvVars = std::map<std::string, std::string>;
// Names [A-Za-z][A-Za-z0-9_]*, not the AWS_* names Arcana sets itself nor kMasterSecretsVar,
// at most kMaxEnvBytes in total. Errors: kInvalidParameter.
Status ValidateEnv(const EnvVars& env);
// "K=V" -> (K, V). Errors: kInvalidParameter.
Result<std::pair<std::string, std::string>> ParseEnvAssignment(const std::string& kv);
std::string EncodeEnv(const EnvVars& env);

// The secrets a function may read besides the one it rotates (the master secrets of the
// alternating-users strategy): set only by `arcana functions create --master-secret ARN`,
// stored with the function as this variable (comma-separated; the function sees it too).
// Rotating secret S with function F lets F read them, whoever configured S's rotation: the
// operator grants a master to a function, not to a secret (as AWS grants it to the Lambda's
// role), so register one function per master and allow RotateSecret with it accordingly.
inline constexpr const char* kMasterSecretsVar = "ARCANA_MASTER_SECRETS";
// arn:aws:secretsmanager:... (IAM wildcards * and ? allowed after the prefix, no ','), as
// a policy's Resource. Errors: kInvalidParameter.
Status ValidateMasterSecretArn(const std::string& arn);
std::vector<std::string> MasterSecretsOf(const EnvVars& env);
// A stored document; an unreadable one decodes as empty.
EnvVars DecodeEnv(const std::string& json);

}  // namespace arcana::domain::rotation

namespace arcana::domain::rotation {

// The session policy of a rotation function's credentials, as a Lambda rotation role's:
// DescribeSecret, GetSecretValue, PutSecretValue, UpdateSecretVersionStage on that one
// secret; GetRandomPassword; kms:Decrypt / kms:GenerateDataKey only via Secrets Manager in
// the secret's region; GetSecretValue on each of master_secrets (MasterSecretsOf).
std::string RotationSessionPolicy(const std::string& secret_arn, const std::string& region,
                                  const std::vector<std::string>& master_secrets = {});

}  // namespace arcana::domain::rotation
