#include "domain/secretsmanager/external_secrets.h"

#include <algorithm>
#include <charconv>

#include "common/arn.h"

namespace arcana::domain::sm {

namespace {

struct ExternalType {
  std::string_view type;
  std::string_view rotator;                 // rotation/builtin_rotators.h
  std::vector<std::string_view> keys;       // the metadata keys the partner defines
};

// The partner pages of the user guide define each type's secret value and metadata.
const std::vector<ExternalType>& Types() {
  static const std::vector<ExternalType> types = {
      {"GitLabAccessToken", "gitlab-access-token", {"adminSecretArn", "daysToExpiry"}},
      {"JenkinsApiToken", "jenkins-api-token", {"adminSecretArn"}},
  };
  return types;
}

const ExternalType* FindType(std::string_view type) {
  for (const auto& t : Types())
    if (t.type == type) return &t;
  return nullptr;
}

Status Invalid(std::string message) {
  return Status(ErrorCode::kInvalidParameter, std::move(message));
}

bool IsSecretArn(std::string_view v) {
  // arn:PARTITION:secretsmanager:REGION:ACCOUNT:secret:NAME
  auto arn = SplitArn(v);
  return arn && arn->service == "secretsmanager" && !arn->account.empty() &&
         arn->resource.starts_with("secret:") && arn->resource.size() > 7;
}

std::optional<int> SmallInt(std::string_view v) {
  int n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

}  // namespace

std::optional<std::string> ExternalRotatorFor(std::string_view type) {
  if (const ExternalType* t = FindType(type)) return std::string(t->rotator);
  return std::nullopt;
}

std::string ExternalRotationTypes() {
  std::string out;
  for (const auto& t : Types()) {
    if (!out.empty()) out += ", ";
    out += t.type;
  }
  return out;
}

std::optional<std::string> MetadataValue(const std::vector<MetadataItem>& items,
                                         std::string_view key) {
  for (const auto& m : items)
    if (m.key == key) return m.value;
  return std::nullopt;
}

Status ValidateExternalMetadata(std::string_view type, const std::vector<MetadataItem>& items) {
  const ExternalType* t = FindType(type);
  if (t == nullptr) return Invalid("The secret type " + std::string(type) + " has no rotation metadata.");
  std::string keys;
  for (auto k : t->keys) keys += (keys.empty() ? "" : ", ") + std::string(k);
  for (size_t i = 0; i < items.size(); ++i) {
    const auto& m = items[i];
    if (std::find(t->keys.begin(), t->keys.end(), m.key) == t->keys.end()) {
      return Invalid("ExternalSecretRotationMetadata of a " + std::string(type) +
                     " secret may have only the keys " + keys + "; " + m.key.substr(0, 256) +
                     " is not one.");
    }
    for (size_t j = 0; j < i; ++j) {
      if (items[j].key == m.key) {
        return Invalid("ExternalSecretRotationMetadata has the key " + m.key + " more than once.");
      }
    }
  }
  if (auto arn = MetadataValue(items, "adminSecretArn"); arn && !IsSecretArn(*arn)) {
    return Invalid("The adminSecretArn of ExternalSecretRotationMetadata must be a secret's ARN.");
  }
  if (auto days = MetadataValue(items, "daysToExpiry")) {
    auto n = SmallInt(*days);
    if (!n || *n < 1 || *n > 365) {
      return Invalid("The daysToExpiry of ExternalSecretRotationMetadata must be a whole number "
                     "of days from 1 to 365.");
    }
  }
  return Status::Ok();
}

}  // namespace arcana::domain::sm
