// Secrets Manager identifiers: secret names, ARNs, SecretId resolution, client request
// tokens and tags. Pure functions, no I/O; callers own storage lookups.
//
// Contract:
//  - ValidateSecretName: 1..512 chars of [A-Za-z0-9/_+=.@-], else kValidation (AWS answers
//    ValidationException "Invalid name. ..." for a bad name in Name or in a SecretId).
//  - ValidateSecretId: an ARN ("arn:" prefix) passes; anything else must be a valid name,
//    or the name of a secret another service manages ("events!connection/...": '!' is
//    in those names, which only their owning service creates).
//  - MakeSecretArn: "arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix6>".
//  - ParseSecretArn accepts any partition ("aws", "aws-cn", ...) and needs a non-empty name.
//  - MatchSecretId tells how a client-supplied SecretId names a stored secret. A stored
//    secret can match at most one way; when scanning many secrets, callers must prefer a
//    kFullArn match over a kPartialArn match (name "a-bcdefg" vs secret "a" with suffix
//    "bcdefg" is the documented ambiguity). An ARN-form id that ends in "-" + six
//    alphanumerics is a complete ARN only: it never matches as a partial ARN (AWS).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::domain::sm {

inline constexpr size_t kMaxSecretNameLength = 512;
inline constexpr size_t kArnSuffixLength = 6;
inline constexpr size_t kMinClientRequestTokenLength = 32;
inline constexpr size_t kMaxClientRequestTokenLength = 64;
inline constexpr size_t kMaxTagKeyLength = 128;
inline constexpr size_t kMaxTagValueLength = 256;
inline constexpr size_t kMaxTagsPerSecret = 50;

Status ValidateSecretName(std::string_view name);
Status ValidateSecretId(std::string_view secret_id);

std::string MakeSecretArn(std::string_view region, std::string_view account,
                          std::string_view name, std::string_view suffix6);

// Six characters from [A-Za-z0-9]; `uniform(bound)` must return a value in [0, bound).
std::string RandomArnSuffix(const std::function<uint32_t(uint32_t)>& uniform);

struct ArnParts {
  std::string region;
  std::string account;
  std::string name_with_suffix;  // everything after ":secret:" (may lack the suffix)
};
std::optional<ArnParts> ParseSecretArn(std::string_view arn);

// True when the id is meant as an ARN ("arn:" prefix). Names cannot contain ':', so a
// SecretId starting with "arn:" is never a name.
bool IsArn(std::string_view secret_id);

// True when `id` ends like a generated ARN suffix: "-" and six ASCII letters or digits.
bool EndsWithArnSuffix(std::string_view id);

enum class IdMatch { kNone, kName, kFullArn, kPartialArn };
// `arn` and `name` are the stored secret's; `arn` must end in "-" + 6-char suffix.
IdMatch MatchSecretId(std::string_view secret_id, std::string_view arn, std::string_view name);

// DeleteSecret with ForceDeleteWithoutRecovery of a secret that does not exist answers as
// if it had: (Name, ARN) derived from the SecretId. A name gets an ARN with a fresh random
// suffix, as a new secret would; an ARN is echoed, its name read from it (without the
// "-XXXXXX" suffix when it has one).
std::pair<std::string, std::string> ForcedDeleteIdentity(
    std::string_view secret_id, std::string_view region, std::string_view account,
    const std::function<uint32_t(uint32_t)>& uniform);

// ClientRequestToken / VersionId: 32..64 characters.
Status ValidateClientRequestToken(std::string_view token);

// The error AWS answers when a request that creates a version carries no ClientRequestToken
// (SDKs fill one in; raw callers must send it). `code` is kInvalidRequest for CreateSecret,
// UpdateSecret and PutSecretValue, kInvalidParameter for RotateSecret (recorded AWS bodies).
Status MissingClientRequestToken(ErrorCode code);

// ResourceExistsException for a ClientRequestToken that already names a version of the
// secret `arn` holding different data (versions are immutable).
Status ClientRequestTokenInUse(std::string_view token, std::string_view arn);

// Tags as (key, value). Keys 1..128, values 0..256, at most 50 tags, no duplicate keys,
// keys starting with "aws:" (any case) are reserved. All failures are kInvalidParameter.
Status ValidateTags(const std::vector<std::pair<std::string, std::string>>& tags);
// UntagResource keys: same key rules, list non-empty.
Status ValidateTagKeys(const std::vector<std::string>& keys);

}  // namespace arcana::domain::sm
