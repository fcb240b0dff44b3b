#include "storage/secret_codec.h"

#include "common/json.h"

namespace arcana::storage {
namespace {

using domain::sm::Secret;
using domain::sm::SecretVersion;

void OptInt(json::Writer& w, const char* k, const std::optional<int64_t>& v) {
  if (!v) return;
  w.Key(k);
  w.Int64(*v);
}


}  // namespace

std::string EncodeSecretMetadata(const Secret& s) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "arn", s.arn);
  json::KV(w, "name", s.name);
  json::KV(w, "account", s.account);
  json::KV(w, "region", s.region);
  if (s.has_description) json::KV(w, "description", s.description);
  json::KV(w, "kms", s.kms_key_id);
  w.Key("tags");
  w.StartArray();
  for (const auto& t : s.tags) {
    w.StartArray();
    json::WriteStr(w, t.key);
    json::WriteStr(w, t.value);
    w.EndArray();
  }
  w.EndArray();
  if (s.tagged) {
    w.Key("tagged");
    w.Bool(true);
  }
  w.Key("created");
  w.Int64(s.created_ms);
  OptInt(w, "changed", s.last_changed_ms);
  OptInt(w, "accessed", s.last_accessed_ms);
  OptInt(w, "deleted", s.deleted_ms);
  const auto& r = s.rotation;
  w.Key("rotation");
  w.StartObject();
  if (r.enabled) {
    w.Key("enabled");
    w.Bool(*r.enabled);
  }
  json::KV(w, "lambda", r.lambda_arn);
  if (!r.external_role_arn.empty()) json::KV(w, "ext_role", r.external_role_arn);
  if (!r.external_metadata.empty()) {
    w.Key("ext_meta");
    w.StartArray();
    for (const auto& m : r.external_metadata) {
      w.StartArray();
      json::WriteStr(w, m.key);
      json::WriteStr(w, m.value);
      w.EndArray();
    }
    w.EndArray();
  }
  OptInt(w, "days", r.automatically_after_days);
  json::KV(w, "schedule", r.schedule_expression);
  json::KV(w, "duration", r.duration);
  OptInt(w, "last", r.last_rotated_ms);
  OptInt(w, "manual", r.manually_rotated_ms);
  OptInt(w, "next", r.next_rotation_ms);
  OptInt(w, "window", r.next_window_start_ms);
  w.Key("rules");
  w.Bool(r.rules_set);
  w.EndObject();
  if (s.resource_policy) json::KV(w, "policy", *s.resource_policy);
  json::KV(w, "owning", s.owning_service);
  json::KV(w, "type", s.type);
  w.Key("replicas");
  w.StartArray();
  for (const auto& rep : s.replicas) {
    w.StartObject();
    json::KV(w, "region", rep.region);
    json::KV(w, "kms", rep.kms_key_id);
    json::KV(w, "status", rep.status);
    json::KV(w, "message", rep.status_message);
    w.EndObject();
  }
  w.EndArray();
  json::KV(w, "primary_arn", s.primary_arn);
  json::KV(w, "primary_region", s.primary_region);
  w.Key("versions");
  w.StartArray();
  for (const auto& v : s.versions) {
    w.StartObject();
    json::KV(w, "id", v.version_id);
    w.Key("stages");
    json::WriteStringList(w, v.stages);
    w.Key("created");
    w.Int64(v.created_ms);
    OptInt(w, "accessed", v.last_accessed_ms);
    w.Key("has_value");
    w.Bool(v.has_value);
    w.Key("binary");
    w.Bool(v.binary);
    json::KV(w, "kms", v.kms_key_id);
    json::KV(w, "digest", v.value_digest);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<Secret> DecodeSecretMetadata(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kInternalServiceError, "stored secret metadata is corrupt");
  }
  Secret s;
  s.arn = json::StrField(d, "arn");
  s.name = json::StrField(d, "name");
  s.account = json::StrField(d, "account");
  s.region = json::StrField(d, "region");
  s.has_description = d.HasMember("description");
  s.description = json::StrField(d, "description");
  s.kms_key_id = json::StrField(d, "kms");
  if (d.HasMember("tags") && d["tags"].IsArray()) {
    for (const auto& t : d["tags"].GetArray()) {
      if (t.IsArray() && t.Size() == 2) s.tags.push_back({t[0].GetString(), t[1].GetString()});
    }
  }
  // Metadata written before "tagged" existed: a secret with tags has been tagged.
  s.tagged = (d.HasMember("tagged") && d["tagged"].IsBool() && d["tagged"].GetBool()) ||
             !s.tags.empty();
  s.created_ms = json::IntField(d, "created");
  s.last_changed_ms = json::OptIntField(d, "changed");
  s.last_accessed_ms = json::OptIntField(d, "accessed");
  s.deleted_ms = json::OptIntField(d, "deleted");
  if (d.HasMember("rotation") && d["rotation"].IsObject()) {
    const auto& r = d["rotation"];
    if (r.HasMember("enabled") && r["enabled"].IsBool()) s.rotation.enabled = r["enabled"].GetBool();
    s.rotation.lambda_arn = json::StrField(r, "lambda");
    s.rotation.external_role_arn = json::StrField(r, "ext_role");
    if (r.HasMember("ext_meta") && r["ext_meta"].IsArray()) {
      for (const auto& m : r["ext_meta"].GetArray()) {
        if (m.IsArray() && m.Size() == 2 && m[0].IsString() && m[1].IsString()) {
          s.rotation.external_metadata.push_back({m[0].GetString(), m[1].GetString()});
        }
      }
    }
    s.rotation.automatically_after_days = json::OptIntField(r, "days");
    s.rotation.schedule_expression = json::StrField(r, "schedule");
    s.rotation.duration = json::StrField(r, "duration");
    s.rotation.last_rotated_ms = json::OptIntField(r, "last");
    s.rotation.manually_rotated_ms = json::OptIntField(r, "manual");
    s.rotation.next_rotation_ms = json::OptIntField(r, "next");
    s.rotation.next_window_start_ms = json::OptIntField(r, "window");
    s.rotation.rules_set = json::BoolField(r, "rules");
  }
  if (d.HasMember("policy")) s.resource_policy = json::StrField(d, "policy");
  s.owning_service = json::StrField(d, "owning");
  s.type = json::StrField(d, "type");
  if (d.HasMember("replicas") && d["replicas"].IsArray()) {
    for (const auto& r : d["replicas"].GetArray()) {
      s.replicas.push_back({json::StrField(r, "region"), json::StrField(r, "kms"), json::StrField(r, "status"),
                            json::StrField(r, "message")});
    }
  }
  s.primary_arn = json::StrField(d, "primary_arn");
  s.primary_region = json::StrField(d, "primary_region");
  if (d.HasMember("versions") && d["versions"].IsArray()) {
    for (const auto& v : d["versions"].GetArray()) {
      SecretVersion ver;
      ver.version_id = json::StrField(v, "id");
      if (v.HasMember("stages") && v["stages"].IsArray()) {
        for (const auto& st : v["stages"].GetArray()) ver.stages.emplace_back(st.GetString());
      }
      ver.created_ms = json::IntField(v, "created");
      ver.last_accessed_ms = json::OptIntField(v, "accessed");
      ver.has_value = json::BoolField(v, "has_value");
      ver.binary = json::BoolField(v, "binary");
      ver.kms_key_id = json::StrField(v, "kms");
      ver.value_digest = json::StrField(v, "digest");
      s.versions.push_back(std::move(ver));
    }
  }
  return s;
}

}  // namespace arcana::storage
