#include "services/secretsmanager/sm_encode.h"

#include <algorithm>

#include "crypto/aead.h"

#include "domain/secretsmanager/rotation_rules.h"

namespace arcana::services::sm {

using domain::sm::Secret;

void WriteTags(json::Writer& w, const std::vector<domain::sm::Tag>& tags) {
  w.StartArray();
  for (const auto& t : tags) {
    w.StartObject();
    json::KV(w, "Key", t.key);
    json::KV(w, "Value", t.value);
    w.EndObject();
  }
  w.EndArray();
}

void WriteStages(json::Writer& w, const std::vector<std::string>& stages) {
  // Most versions hold one label: no copy on the GetSecretValue path unless order is wrong.
  if (std::is_sorted(stages.begin(), stages.end())) return json::WriteStringList(w, stages);
  std::vector<std::string> sorted = stages;
  std::sort(sorted.begin(), sorted.end());
  json::WriteStringList(w, sorted);
}

std::string ArnNameBody(const Secret& s, const std::string& version_id) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "ARN", s.arn);
  json::KV(w, "Name", s.name);
  if (!version_id.empty()) json::KV(w, "VersionId", version_id);
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

void WriteReplicationStatus(json::Writer& w, const Secret& primary,
                            const ReplicaAccessDates& accessed) {
  w.StartArray();
  for (const auto& r : primary.replicas) {
    w.StartObject();
    json::KV(w, "Region", r.region);
    // The AWS managed key by its alias, as AWS's recorded answers name it (the aws CLI's
    // replicate-secret-to-regions and describe-secret examples).
    json::KV(w, "KmsKeyId", r.kms_key_id.empty() ? "alias/aws/secretsmanager" : r.kms_key_id);
    json::KV(w, "Status", r.status);
    json::KV(w, "StatusMessage", r.status_message);
    if (auto it = accessed.find(r.region); it != accessed.end()) {
      w.Key("LastAccessedDate");
      json::WriteTimestamp(w, it->second);
    }
    w.EndObject();
  }
  w.EndArray();
}

std::string KmsKeyIdIn(const Secret& self, const Secret& data) {
  if (!self.IsReplica()) return data.kms_key_id;
  for (const auto& r : data.replicas) {
    if (r.region == self.region) return r.kms_key_id;
  }
  return "";
}

void WriteSecretEntry(json::Writer& w, const Secret& self, const Secret& data, EntryForm form,
                      const ReplicaAccessDates& accessed) {
  w.StartObject();
  json::KV(w, "ARN", self.arn);
  json::KV(w, "Name", self.name);
  if (!data.type.empty()) json::KV(w, "Type", data.type);
  // Empty members are absent, as AWS sends them (an empty Description too).
  if (data.has_description && !data.description.empty()) {
    json::KV(w, "Description", data.description);
  }
  if (std::string kms = KmsKeyIdIn(self, data); !kms.empty()) json::KV(w, "KmsKeyId", kms);
  const auto& rot = data.rotation;
  if (rot.enabled) {
    w.Key("RotationEnabled");
    w.Bool(*rot.enabled);
  }
  if (!rot.lambda_arn.empty()) json::KV(w, "RotationLambdaARN", rot.lambda_arn);
  if (!rot.external_metadata.empty()) {
    w.Key("ExternalSecretRotationMetadata");
    w.StartArray();
    for (const auto& m : rot.external_metadata) {
      w.StartObject();
      json::KV(w, "Key", m.key);
      json::KV(w, "Value", m.value);
      w.EndObject();
    }
    w.EndArray();
  }
  if (!rot.external_role_arn.empty()) {
    json::KV(w, "ExternalSecretRotationRoleArn", rot.external_role_arn);
  }
  if (rot.rules_set) {
    w.Key("RotationRules");
    w.StartObject();
    domain::sm::RotationRules rules;
    rules.automatically_after_days = rot.automatically_after_days;
    if (!rot.schedule_expression.empty()) rules.schedule_expression = rot.schedule_expression;
    if (auto days = domain::sm::DerivedAutomaticallyAfterDays(rules)) {
      w.Key("AutomaticallyAfterDays");
      w.Int64(*days);
    }
    if (!rot.duration.empty()) json::KV(w, "Duration", rot.duration);
    if (!rot.schedule_expression.empty()) json::KV(w, "ScheduleExpression", rot.schedule_expression);
    w.EndObject();
  }
  // DescribeSecret: "If the secret isn't configured for rotation or rotation has been
  // disabled, Secrets Manager returns null" (the date is kept: enabling rotation again shows
  // it). ListSecrets answers it whenever the secret ever rotated ("null if never rotated").
  const bool rotating = rot.enabled && *rot.enabled;
  if (rot.last_rotated_ms && (form == EntryForm::kList || rotating)) {
    w.Key("LastRotatedDate");
    json::WriteTimestamp(w, *rot.last_rotated_ms);
  }
  if (data.last_changed_ms) {
    w.Key("LastChangedDate");
    json::WriteTimestamp(w, *data.last_changed_ms);
  }
  // Per region (AWS: "last accessed in the Region"): a replica's reads are its own.
  if (self.last_accessed_ms) {
    w.Key("LastAccessedDate");
    json::WriteTimestamp(w, *self.last_accessed_ms);
  }
  if (self.deleted_ms) {
    w.Key("DeletedDate");
    json::WriteTimestamp(w, *self.deleted_ms);
  }
  if (rotating && rot.next_rotation_ms) {
    w.Key("NextRotationDate");
    json::WriteTimestamp(w, *rot.next_rotation_ms);
  }
  // Tags: absent until the secret was ever tagged, then present ([] once all are removed).
  if (data.tagged || !data.tags.empty()) {
    w.Key("Tags");
    WriteTags(w, data.tags);
  }
  // Only labelled versions appear; with none (no value yet) the map is absent, not {}.
  const bool any_labelled = std::any_of(data.versions.begin(), data.versions.end(),
                                        [](const auto& v) { return !v.stages.empty(); });
  if (any_labelled) {
    w.Key(form == EntryForm::kList ? "SecretVersionsToStages" : "VersionIdsToStages");
    w.StartObject();
    for (const auto& v : data.versions) {
      if (v.stages.empty()) continue;
      w.Key(v.version_id.c_str(), static_cast<rapidjson::SizeType>(v.version_id.size()));
      WriteStages(w, v.stages);
    }
    w.EndObject();
  }
  if (!data.owning_service.empty()) json::KV(w, "OwningService", data.owning_service);
  w.Key("CreatedDate");
  json::WriteTimestamp(w, self.created_ms);
  if (self.IsReplica()) {
    json::KV(w, "PrimaryRegion", self.primary_region);
  } else if (!data.replicas.empty()) {
    json::KV(w, "PrimaryRegion", self.region);
  }
  if (form == EntryForm::kDescribe && !self.IsReplica() && !data.replicas.empty()) {
    w.Key("ReplicationStatus");
    WriteReplicationStatus(w, data, accessed);
  }
  w.EndObject();
}

}  // namespace arcana::services::sm
