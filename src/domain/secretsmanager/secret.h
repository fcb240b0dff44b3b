// The Secrets Manager resource model: a secret, its versions and their staging labels.
// Plain data; the rules that change it live in secret_rules.h, persistence in storage/.
// Values are never held here in the clear: a version carries only its sealed envelope.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace arcana::domain::sm {

inline constexpr const char* kCurrent = "AWSCURRENT";
inline constexpr const char* kPrevious = "AWSPREVIOUS";
inline constexpr const char* kPending = "AWSPENDING";

struct Tag {
  std::string key;
  std::string value;
};

struct SecretVersion {
  std::string version_id;
  std::vector<std::string> stages;
  int64_t created_ms = 0;
  std::optional<int64_t> last_accessed_ms;  // day resolution, as AWS reports it
  bool has_value = false;  // false for the empty AWSPENDING placeholder of a rotation
  bool binary = false;     // SecretBinary rather than SecretString
  std::string kms_key_id;  // key that wrapped this version's data key
  // Hash of the value, to tell an idempotent retry from a conflicting one without
  // decrypting (HMAC under a server key, never a bare hash of the secret).
  std::string value_digest;

  bool HasStage(const std::string& s) const {
    for (const auto& x : stages)
      if (x == s) return true;
    return false;
  }
};

// One pair of a managed external secret's rotation metadata (ExternalSecretRotationMetadata).
struct MetadataItem {
  std::string key;
  std::string value;
};

struct RotationConfig {
  std::optional<bool> enabled;  // absent until rotation was ever configured
  std::string lambda_arn;
  // A managed external secret's rotation (external_secrets.h), instead of a Lambda function:
  // the role it runs as and the partner's metadata. lambda_arn is then empty.
  std::string external_role_arn;
  std::vector<MetadataItem> external_metadata;
  std::optional<int64_t> automatically_after_days;
  std::string schedule_expression;
  std::string duration;
  std::optional<int64_t> last_rotated_ms;  // LastRotatedDate: the last successful rotation run
  // The last PutSecretValue/UpdateSecret that made a new value AWSCURRENT while rotation was
  // enabled: AWS counts it as a rotation for the schedule, not for LastRotatedDate.
  std::optional<int64_t> manually_rotated_ms;
  std::optional<int64_t> next_rotation_ms;  // NextRotationDate: the next window's last second
  // The start of that window, when the scheduled run is due (absent in records written
  // before windows were kept: the run is then due at next_rotation_ms).
  std::optional<int64_t> next_window_start_ms;
  bool rules_set = false;
};

struct ReplicaStatus {
  std::string region;
  std::string kms_key_id;
  std::string status = "InSync";
  std::string status_message = "Replication succeeded";
};

struct Secret {
  // The stored revision (storage/store_types.h: optimistic concurrency); 0 = not stored yet.
  int64_t revision = 0;
  std::string arn;
  std::string name;
  std::string account;
  std::string region;
  std::string description;
  bool has_description = false;
  std::string kms_key_id;  // empty: the default key (alias/aws/secretsmanager)
  std::vector<Tag> tags;
  // Ever tagged: AWS omits Tags from Describe/List until a secret has had tags, then sends
  // them, as [] once all are removed.
  bool tagged = false;
  int64_t created_ms = 0;
  std::optional<int64_t> last_changed_ms;
  std::optional<int64_t> last_accessed_ms;
  std::optional<int64_t> deleted_ms;  // scheduled deletion date (purge time)
  RotationConfig rotation;
  std::optional<std::string> resource_policy;
  std::string owning_service;
  std::string type;
  // Replication: a primary lists its replicas; a replica names its primary's ARN and
  // reads its versions through it (a replica is a live view, never a stale copy).
  std::vector<ReplicaStatus> replicas;
  std::string primary_arn;     // set on replicas only
  std::string primary_region;  // set on replicas only
  std::vector<SecretVersion> versions;  // newest last

  bool IsReplica() const { return !primary_arn.empty(); }
  SecretVersion* FindVersion(const std::string& id) {
    for (auto& v : versions)
      if (v.version_id == id) return &v;
    return nullptr;
  }
  const SecretVersion* FindVersion(const std::string& id) const {
    for (const auto& v : versions)
      if (v.version_id == id) return &v;
    return nullptr;
  }
  SecretVersion* FindStage(const std::string& stage) {
    for (auto& v : versions)
      if (v.HasStage(stage)) return &v;
    return nullptr;
  }
  const SecretVersion* FindStage(const std::string& stage) const {
    for (const auto& v : versions)
      if (v.HasStage(stage)) return &v;
    return nullptr;
  }
};

}  // namespace arcana::domain::sm
