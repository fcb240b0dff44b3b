#include "domain/secretsmanager/names.h"

#include <algorithm>
#include <set>

namespace arcana::domain::sm {
namespace {

constexpr std::string_view kArnPrefixService = ":secretsmanager:";
constexpr std::string_view kSecretMarker = ":secret:";
constexpr std::string_view kAlnum =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

bool IsNameChar(char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '/': case '_': case '+': case '=': case '.': case '@': case '-':
      return true;
    default:
      return false;
  }
}

bool HasReservedPrefix(std::string_view key) {
  if (key.size() < 4) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
  return lower(key[0]) == 'a' && lower(key[1]) == 'w' && lower(key[2]) == 's' && key[3] == ':';
}

Status ValidateTagKey(std::string_view key) {
  if (key.empty() || key.size() > kMaxTagKeyLength) {
    return Status(ErrorCode::kInvalidParameter,
                  "Invalid tag key: the key must be between 1 and 128 characters long.");
  }
  if (HasReservedPrefix(key)) {
    return Status(ErrorCode::kInvalidParameter,
                  "Invalid tag key: the aws: prefix is reserved for AWS use.");
  }
  return Status::Ok();
}

Status InvalidName() {
  return Status(ErrorCode::kValidation,
                "Invalid name. Must be a valid name containing alphanumeric characters, or any "
                "of the following: -/_+=.@!");
}

}  // namespace

Status ValidateSecretName(std::string_view name) {
  if (name.empty() || name.size() > kMaxSecretNameLength) return InvalidName();
  for (char c : name) {
    if (!IsNameChar(c)) return InvalidName();
  }
  return Status::Ok();
}

Status ValidateSecretId(std::string_view secret_id) {
  if (IsArn(secret_id)) return Status::Ok();
  // A name-form SecretId may be as long as the model allows (2048); only its characters
  // are checked here.
  for (char c : secret_id) {
    if (!IsNameChar(c) && c != '!') return InvalidName();
  }
  return Status::Ok();
}

std::string MakeSecretArn(std::string_view region, std::string_view account,
                          std::string_view name, std::string_view suffix6) {
  std::string arn = "arn:aws:secretsmanager:";
  arn.append(region).append(":").append(account).append(kSecretMarker);
  arn.append(name).append("-").append(suffix6);
  return arn;
}

std::string RandomArnSuffix(const std::function<uint32_t(uint32_t)>& uniform) {
  std::string out;
  out.reserve(kArnSuffixLength);
  for (size_t i = 0; i < kArnSuffixLength; ++i) {
    out.push_back(kAlnum[uniform(static_cast<uint32_t>(kAlnum.size())) % kAlnum.size()]);
  }
  return out;
}

std::optional<ArnParts> ParseSecretArn(std::string_view arn) {
  // arn:<partition>:secretsmanager:<region>:<account>:secret:<name...>
  if (!IsArn(arn)) return std::nullopt;
  std::string_view rest = arn.substr(4);
  size_t p = rest.find(':');
  if (p == 0 || p == std::string_view::npos) return std::nullopt;  // empty partition
  rest = rest.substr(p);
  if (rest.substr(0, kArnPrefixService.size()) != kArnPrefixService) return std::nullopt;
  rest = rest.substr(kArnPrefixService.size());
  size_t r = rest.find(':');
  if (r == std::string_view::npos) return std::nullopt;
  ArnParts parts;
  parts.region = std::string(rest.substr(0, r));
  rest = rest.substr(r);  // starts at ':' before account
  size_t a = rest.find(':', 1);
  if (a == std::string_view::npos) return std::nullopt;
  parts.account = std::string(rest.substr(1, a - 1));
  rest = rest.substr(a);
  if (rest.substr(0, kSecretMarker.size()) != kSecretMarker) return std::nullopt;
  rest = rest.substr(kSecretMarker.size());
  if (rest.empty()) return std::nullopt;
  parts.name_with_suffix = std::string(rest);
  return parts;
}

bool IsArn(std::string_view secret_id) { return secret_id.substr(0, 4) == "arn:"; }

bool EndsWithArnSuffix(std::string_view id) {
  constexpr size_t kTail = kArnSuffixLength + 1;
  return id.size() > kTail && id[id.size() - kTail] == '-' &&
         std::all_of(id.end() - kArnSuffixLength, id.end(),
                     [](char c) { return kAlnum.find(c) != std::string_view::npos; });
}

IdMatch MatchSecretId(std::string_view secret_id, std::string_view arn, std::string_view name) {
  if (secret_id.empty()) return IdMatch::kNone;
  if (IsArn(secret_id)) {
    if (secret_id == arn) return IdMatch::kFullArn;
    // An id that ends like a complete ARN ("-" + six alphanumerics) is taken as one, never as
    // a partial ARN, as AWS does: the API reference says such a name used as a partial ARN
    // makes Secrets Manager "assume that you're specifying a complete ARN", and AWS answered
    // ResourceNotFoundException for the partial ARN of "Invalid/_+=.@-Name-a1b2c3" (LocalStack's
    // test_secretsmanager.snapshot.json, test_create_and_update_secret[...-a1b2c3-False]).
    if (EndsWithArnSuffix(secret_id)) return IdMatch::kNone;
    // Partial ARN: the stored ARN minus its "-XXXXXX" suffix.
    constexpr size_t kTail = kArnSuffixLength + 1;
    if (arn.size() > kTail && arn[arn.size() - kTail] == '-' &&
        secret_id == arn.substr(0, arn.size() - kTail)) {
      return IdMatch::kPartialArn;
    }
    return IdMatch::kNone;
  }
  return secret_id == name ? IdMatch::kName : IdMatch::kNone;
}

Status ValidateClientRequestToken(std::string_view token) {
  if (token.size() < kMinClientRequestTokenLength || token.size() > kMaxClientRequestTokenLength) {
    return Status(ErrorCode::kInvalidParameter,
                  "ClientRequestToken must be between 32 and 64 characters long.");
  }
  return Status::Ok();
}

std::pair<std::string, std::string> ForcedDeleteIdentity(
    std::string_view secret_id, std::string_view region, std::string_view account,
    const std::function<uint32_t(uint32_t)>& uniform) {
  if (!IsArn(secret_id)) {
    return {std::string(secret_id),
            MakeSecretArn(region, account, secret_id, RandomArnSuffix(uniform))};
  }
  auto parts = ParseSecretArn(secret_id);
  if (!parts) return {std::string(secret_id), std::string(secret_id)};
  std::string name = parts->name_with_suffix;
  if (EndsWithArnSuffix(name)) name.resize(name.size() - kArnSuffixLength - 1);
  return {std::move(name), std::string(secret_id)};
}

Status MissingClientRequestToken(ErrorCode code) {
  return Status(code, "You must provide a ClientRequestToken value. We recommend a UUID-type value.");
}

Status ClientRequestTokenInUse(std::string_view token, std::string_view arn) {
  return Status(ErrorCode::kResourceExists,
                "You can't use ClientRequestToken " + std::string(token) +
                    " because that value is already in use for a version of secret " +
                    std::string(arn) + ".");
}

Status ValidateTags(const std::vector<std::pair<std::string, std::string>>& tags) {
  if (tags.size() > kMaxTagsPerSecret) {
    return Status(ErrorCode::kInvalidParameter,
                  "Too many tags: a secret can have at most 50 tags.");
  }
  std::set<std::string_view> seen;
  for (const auto& [key, value] : tags) {
    ARCANA_RETURN_IF_ERROR(ValidateTagKey(key));
    if (value.size() > kMaxTagValueLength) {
      return Status(ErrorCode::kInvalidParameter,
                    "Invalid tag value: the value must be at most 256 characters long.");
    }
    if (!seen.insert(key).second) {
      return Status(ErrorCode::kInvalidParameter, "Duplicate tag key: " + key);
    }
  }
  return Status::Ok();
}

Status ValidateTagKeys(const std::vector<std::string>& keys) {
  if (keys.empty()) {
    return Status(ErrorCode::kInvalidParameter, "TagKeys must contain at least one key.");
  }
  for (const auto& key : keys) {
    if (key.empty() || key.size() > kMaxTagKeyLength) {
      return Status(ErrorCode::kInvalidParameter,
                    "Invalid tag key: the key must be between 1 and 128 characters long.");
    }
  }
  return Status::Ok();
}

}  // namespace arcana::domain::sm
