// An SSM Parameter Store parameter: its name, tags and kept versions (spec 4.1). Each version
// carries its own type, description, pattern, key, tier, policies and labels, as AWS's
// GetParameterHistory shows them. Values are not held here: the store keeps them per version
// (SecureString values only sealed).
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/ssm/resource_policy.h"

namespace arcana::domain::ssm {

inline constexpr const char* kString = "String";
inline constexpr const char* kStringList = "StringList";
inline constexpr const char* kSecureString = "SecureString";
inline constexpr const char* kStandard = "Standard";
inline constexpr const char* kAdvanced = "Advanced";
inline constexpr const char* kIntelligentTiering = "Intelligent-Tiering";
inline constexpr const char* kDefaultKeyAlias = "alias/aws/ssm";
inline constexpr size_t kMaxVersions = 100;
inline constexpr size_t kMaxLabelsPerVersion = 10;
inline constexpr size_t kMaxTags = 50;

struct Tag {
  std::string key;
  std::string value;
};

// One parsed parameter policy (policies.h).
struct Policy {
  std::string type;  // Expiration | ExpirationNotification | NoChangeNotification
  std::string text;  // the policy object as JSON text (ParameterInlinePolicy.PolicyText)
};

struct ParameterVersion {
  int64_t version = 0;
  std::string type;             // String | StringList | SecureString
  std::string description;
  std::string allowed_pattern;
  std::string key_id;           // SecureString only: the KeyId as given (default alias/aws/ssm)
  std::string tier;             // Standard | Advanced (Intelligent-Tiering resolves to one)
  std::string data_type = "text";
  std::vector<Policy> policies;
  std::optional<int64_t> expires_ms;  // from an Expiration policy
  std::vector<std::string> labels;
  int64_t modified_ms = 0;
  std::string modified_user;    // principal ARN
};

struct Parameter {
  // The stored revision (storage/store_types.h: optimistic concurrency); 0 = not stored yet.
  int64_t revision = 0;
  std::string account;
  std::string region;
  std::string key;   // canonical lookup name (NameKey in names.h)
  std::string name;  // the name as created
  std::vector<ParameterVersion> versions;  // ascending by version; never empty when stored
  std::vector<Tag> tags;
  // Its resource policies (resource_policy.h), oldest first. Kept in their own rows, not in
  // the metadata: filled by ParameterStore::GetParameter (lists leave it empty) and written
  // only by ParameterStore::CommitResourcePolicy.
  std::vector<ResourcePolicy> resource_policies;

  const ParameterVersion& Latest() const { return versions.back(); }
  ParameterVersion& Latest() { return versions.back(); }
  const ParameterVersion* FindVersion(int64_t v) const {
    for (const auto& pv : versions) if (pv.version == v) return &pv;
    return nullptr;
  }
  ParameterVersion* FindVersion(int64_t v) {
    for (auto& pv : versions) if (pv.version == v) return &pv;
    return nullptr;
  }
  const ParameterVersion* FindLabel(const std::string& label) const {
    for (const auto& pv : versions)
      for (const auto& l : pv.labels) if (l == label) return &pv;
    return nullptr;
  }
  // When the latest version's Expiration policy deletes the parameter.
  std::optional<int64_t> ExpiresMs() const { return versions.empty() ? std::nullopt : Latest().expires_ms; }
};

}  // namespace arcana::domain::ssm
