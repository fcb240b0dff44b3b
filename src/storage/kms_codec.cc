#include "storage/kms_codec.h"

#include <rapidjson/document.h>

#include "common/json.h"

namespace arcana::storage {
namespace {

using domain::kms::Grant;
using domain::kms::Key;

void WriteMap(json::Writer& w, const char* name, const std::map<std::string, std::string>& m) {
  w.Key(name);
  w.StartObject();
  for (const auto& [k, v] : m) json::KV(w, k.c_str(), v);
  w.EndObject();
}
std::map<std::string, std::string> Map(const rapidjson::Value& d, const char* k) {
  std::map<std::string, std::string> out;
  auto it = d.FindMember(k);
  if (it == d.MemberEnd() || !it->value.IsObject()) return out;
  for (auto m = it->value.MemberBegin(); m != it->value.MemberEnd(); ++m) {
    if (m->value.IsString()) out[m->name.GetString()] = m->value.GetString();
  }
  return out;
}
std::string Done(rapidjson::StringBuffer& buf) { return std::string(buf.GetString(), buf.GetSize()); }

}  // namespace

std::string EncodeKmsKey(const Key& k) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "account", k.account);
  json::KV(w, "region", k.region);
  json::KV(w, "id", k.key_id);
  json::KV(w, "arn", k.arn);
  w.Key("created");
  w.Int64(k.created_ms);
  json::KV(w, "desc", k.description);
  json::KV(w, "usage", k.key_usage);
  json::KV(w, "spec", k.key_spec);
  json::KV(w, "state", k.key_state);
  json::KV(w, "manager", k.key_manager);
  json::KV(w, "origin", k.origin);
  w.Key("mrk");
  w.Bool(k.multi_region);
  if (k.deletion_ms) {
    w.Key("deletion");
    w.Int64(*k.deletion_ms);
  }
  w.Key("window");
  w.Int(k.pending_window_days);
  json::KV(w, "policy", k.policy);
  WriteMap(w, "tags", k.tags);
  w.Key("rot");
  w.Bool(k.rotation_enabled);
  w.Key("rot_days");
  w.Int(k.rotation_period_days);
  w.Key("rot_base");
  w.Int64(k.rotation_base_ms);
  w.Key("materials");
  w.StartArray();
  for (const auto& m : k.materials) {
    w.StartObject();
    json::KV(w, "id", m.id);
    w.Key("created");
    w.Int64(m.created_ms);
    json::KV(w, "type", m.rotation_type);
    if (m.imported) {
      w.Key("imp");
      w.Bool(true);
    }
    if (m.pending_rotation) {
      w.Key("pend");
      w.Bool(true);
    }
    if (m.valid_to_ms) {
      w.Key("valid_to");
      w.Int64(*m.valid_to_ms);
    }
    if (!m.description.empty()) json::KV(w, "desc", m.description);
    w.EndObject();
  }
  w.EndArray();
  if (!k.primary_region.empty()) json::KV(w, "primary", k.primary_region);
  w.EndObject();
  return Done(buf);
}

Result<Key> DecodeKmsKey(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kKmsInternal, "stored key metadata is corrupt");
  }
  Key k;
  k.account = json::StrField(d, "account");
  k.region = json::StrField(d, "region");
  k.key_id = json::StrField(d, "id");
  k.arn = json::StrField(d, "arn");
  k.created_ms = json::IntField(d, "created");
  k.description = json::StrField(d, "desc");
  k.key_usage = json::StrField(d, "usage");
  k.key_spec = json::StrField(d, "spec");
  k.key_state = json::StrField(d, "state");
  k.key_manager = json::StrField(d, "manager");
  k.origin = json::StrField(d, "origin");
  k.multi_region = json::BoolField(d, "mrk");
  if (d.HasMember("deletion") && d["deletion"].IsInt64()) k.deletion_ms = d["deletion"].GetInt64();
  k.pending_window_days = static_cast<int>(json::IntField(d, "window"));
  k.policy = json::StrField(d, "policy");
  k.tags = Map(d, "tags");
  k.rotation_enabled = json::BoolField(d, "rot");
  k.rotation_period_days = static_cast<int>(json::IntField(d, "rot_days"));
  k.rotation_base_ms = json::IntField(d, "rot_base");
  if (d.HasMember("materials") && d["materials"].IsArray()) {
    for (const auto& m : d["materials"].GetArray()) {
      if (!m.IsObject()) continue;
      domain::kms::KeyMaterialInfo info;
      info.id = json::StrField(m, "id");
      info.created_ms = json::IntField(m, "created");
      info.rotation_type = json::StrField(m, "type");
      info.imported = json::BoolField(m, "imp");
      info.pending_rotation = json::BoolField(m, "pend");
      if (m.HasMember("valid_to") && m["valid_to"].IsInt64()) info.valid_to_ms = m["valid_to"].GetInt64();
      info.description = json::StrField(m, "desc");
      k.materials.push_back(std::move(info));
    }
  }
  k.primary_region = json::StrField(d, "primary");
  return k;
}

std::string EncodeKmsGrant(const Grant& g) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "account", g.account);
  json::KV(w, "region", g.region);
  json::KV(w, "key", g.key_id);
  json::KV(w, "id", g.grant_id);
  json::KV(w, "token", g.grant_token);
  json::KV(w, "name", g.name);
  json::KV(w, "grantee", g.grantee_principal);
  json::KV(w, "retiring", g.retiring_principal);
  if (g.grantee_is_service) {
    w.Key("grantee_svc");
    w.Bool(true);
  }
  if (g.retiring_is_service) {
    w.Key("retiring_svc");
    w.Bool(true);
  }
  if (!g.source_arn.empty()) json::KV(w, "source_arn", g.source_arn);
  json::KV(w, "issuer", g.issuing_account);
  w.Key("ops");
  json::WriteStringList(w, g.operations);
  w.Key("constraints");
  w.Bool(g.has_constraints);
  WriteMap(w, "ec_eq", g.ec_equals);
  WriteMap(w, "ec_sub", g.ec_subset);
  w.Key("created");
  w.Int64(g.created_ms);
  w.EndObject();
  return Done(buf);
}

std::string KmsGrantNameField(const std::string& name) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "name", name);  // as EncodeKmsGrant writes it
  w.EndObject();
  const std::string object = Done(buf);
  return object.substr(1, object.size() - 2);  // without the braces
}

Result<Grant> DecodeKmsGrant(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kKmsInternal, "stored grant is corrupt");
  }
  Grant g;
  g.account = json::StrField(d, "account");
  g.region = json::StrField(d, "region");
  g.key_id = json::StrField(d, "key");
  g.grant_id = json::StrField(d, "id");
  g.grant_token = json::StrField(d, "token");
  g.name = json::StrField(d, "name");
  g.grantee_principal = json::StrField(d, "grantee");
  g.retiring_principal = json::StrField(d, "retiring");
  g.grantee_is_service = json::BoolField(d, "grantee_svc");
  g.retiring_is_service = json::BoolField(d, "retiring_svc");
  g.source_arn = json::StrField(d, "source_arn");
  g.issuing_account = json::StrField(d, "issuer");
  if (d.HasMember("ops") && d["ops"].IsArray()) {
    for (const auto& o : d["ops"].GetArray())
      if (o.IsString()) g.operations.push_back(o.GetString());
  }
  g.has_constraints = json::BoolField(d, "constraints");
  g.ec_equals = Map(d, "ec_eq");
  g.ec_subset = Map(d, "ec_sub");
  g.created_ms = json::IntField(d, "created");
  return g;
}

}  // namespace arcana::storage
