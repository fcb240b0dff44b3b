#include "storage/parameter_codec.h"

#include "common/json.h"

namespace arcana::storage {
namespace {


}  // namespace

std::string EncodeParameterMetadata(const domain::ssm::Parameter& p) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "account", p.account);
  json::KV(w, "region", p.region);
  json::KV(w, "key", p.key);
  json::KV(w, "name", p.name);
  w.Key("tags");
  w.StartArray();
  for (const auto& t : p.tags) {
    w.StartArray();
    json::WriteStr(w, t.key);
    json::WriteStr(w, t.value);
    w.EndArray();
  }
  w.EndArray();
  w.Key("versions");
  w.StartArray();
  for (const auto& v : p.versions) {
    w.StartObject();
    w.Key("v");
    w.Int64(v.version);
    json::KV(w, "type", v.type);
    json::KV(w, "desc", v.description);
    json::KV(w, "pattern", v.allowed_pattern);
    json::KV(w, "key_id", v.key_id);
    json::KV(w, "tier", v.tier);
    json::KV(w, "data_type", v.data_type);
    w.Key("policies");
    w.StartArray();
    for (const auto& pol : v.policies) {
      w.StartArray();
      json::WriteStr(w, pol.type);
      json::WriteStr(w, pol.text);
      w.EndArray();
    }
    w.EndArray();
    if (v.expires_ms) {
      w.Key("expires");
      w.Int64(*v.expires_ms);
    }
    w.Key("labels");
    json::WriteStringList(w, v.labels);
    w.Key("modified");
    w.Int64(v.modified_ms);
    json::KV(w, "user", v.modified_user);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buf.GetString(), buf.GetSize());
}

Result<domain::ssm::Parameter> DecodeParameterMetadata(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kSsmInternalServerError, "stored parameter metadata is corrupt");
  }
  domain::ssm::Parameter p;
  p.account = json::StrField(d, "account");
  p.region = json::StrField(d, "region");
  p.key = json::StrField(d, "key");
  p.name = json::StrField(d, "name");
  if (auto it = d.FindMember("tags"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& t : it->value.GetArray()) {
      if (t.IsArray() && t.Size() == 2 && t[0].IsString() && t[1].IsString()) {
        p.tags.push_back({t[0].GetString(), t[1].GetString()});
      }
    }
  }
  if (auto it = d.FindMember("versions"); it != d.MemberEnd() && it->value.IsArray()) {
    for (const auto& o : it->value.GetArray()) {
      if (!o.IsObject()) continue;
      domain::ssm::ParameterVersion v;
      v.version = json::IntField(o, "v");
      v.type = json::StrField(o, "type");
      v.description = json::StrField(o, "desc");
      v.allowed_pattern = json::StrField(o, "pattern");
      v.key_id = json::StrField(o, "key_id");
      v.tier = json::StrField(o, "tier");
      v.data_type = json::StrField(o, "data_type");
      if (auto pi = o.FindMember("policies"); pi != o.MemberEnd() && pi->value.IsArray()) {
        for (const auto& pol : pi->value.GetArray()) {
          if (pol.IsArray() && pol.Size() == 2 && pol[0].IsString() && pol[1].IsString()) {
            v.policies.push_back({pol[0].GetString(), pol[1].GetString()});
          }
        }
      }
      if (auto ei = o.FindMember("expires"); ei != o.MemberEnd() && ei->value.IsInt64()) {
        v.expires_ms = ei->value.GetInt64();
      }
      if (auto li = o.FindMember("labels"); li != o.MemberEnd() && li->value.IsArray()) {
        for (const auto& l : li->value.GetArray()) {
          if (l.IsString()) v.labels.emplace_back(l.GetString(), l.GetStringLength());
        }
      }
      v.modified_ms = json::IntField(o, "modified");
      v.modified_user = json::StrField(o, "user");
      p.versions.push_back(std::move(v));
    }
  }
  if (p.versions.empty()) {
    return Status(ErrorCode::kSsmInternalServerError, "stored parameter has no versions");
  }
  return p;
}

}  // namespace arcana::storage
