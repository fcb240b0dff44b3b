// Secrets Manager identifiers: secret names, ARNs, SecretId resolution, client request
// tokens and tags. Pure functions, no I/O; callers own storage lookups.
//
// Contract:
//  - ValidateSecretName: 1..512 chars of [A-Za-z0-9/_+=.@-], else kInvalidParameter.
//  - MakeSecretArn: "arn:aws:secretsmanager:<region>:<account>:secret:<name>-<suffix6>".
//  - ParseSecretArn accepts any partition ("aws", "aws-cn", ...) and needs a non-empty name.
//  - MatchSecretId tells how a client-supplied SecretId names a stored secret. A stored
//    secret can match at most one way; when scanning many secrets, callers must prefer a
//    kFullArn match over a kPartialArn match (name "a-bcdefg" vs secret "a" with suffix
//    "bcdefg" is the documented ambiguity).
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

enum class IdMatch { kNone, kName, kFullArn, kPartialArn };
// `arn` and `name` are the stored secret's; `arn` must end in "-" + 6-char suffix.
IdMatch MatchSecretId(std::string_view secret_id, std::string_view arn, std::string_view name);

// ClientRequestToken / VersionId: 32..64 characters.
Status ValidateClientRequestToken(std::string_view token);

// Tags as (key, value). Keys 1..128, values 0..256, at most 50 tags, no duplicate keys,
// keys starting with "aws:" (any case) are reserved. All failures are kInvalidParameter.
Status ValidateTags(const std::vector<std::pair<std::string, std::string>>& tags);
// UntagResource keys: same key rules, list non-empty.
Status ValidateTagKeys(const std::vector<std::string>& keys);

}  // namespace arcana::domain::sm
