#include "services/ssm/ssm_encode.h"

#include "domain/ssm/names.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

std::string Finish(const rapidjson::StringBuffer& buf) {
  return std::string(buf.GetString(), buf.GetSize());
}

namespace {
void WritePolicies(json::Writer& w, const dssm::ParameterVersion& v) {
  w.Key("Policies");
  w.StartArray();
  for (const auto& p : v.policies) {
    w.StartObject();
    json::KV(w, "PolicyText", p.text);
    json::KV(w, "PolicyType", p.type);
    json::KV(w, "PolicyStatus", "Pending");
    w.EndObject();
  }
  w.EndArray();
}

void WriteCommonMeta(json::Writer& w, const dssm::Parameter& p, const dssm::ParameterVersion& v) {
  json::KV(w, "Name", p.name);
  json::KV(w, "Type", v.type);
  if (v.type == dssm::kSecureString && !v.key_id.empty()) json::KV(w, "KeyId", v.key_id);
  w.Key("LastModifiedDate");
  json::WriteTimestamp(w, v.modified_ms);
  json::KV(w, "LastModifiedUser", v.modified_user);
  if (!v.description.empty()) json::KV(w, "Description", v.description);
  if (!v.allowed_pattern.empty()) json::KV(w, "AllowedPattern", v.allowed_pattern);
  w.Key("Version");
  w.Int64(v.version);
  json::KV(w, "Tier", v.tier);
  WritePolicies(w, v);
  json::KV(w, "DataType", v.data_type);
}
}  // namespace

void WriteParameter(json::Writer& w, const dssm::Parameter& p, const dssm::ParameterVersion& v,
                    const std::string& value, const std::string& selector) {
  w.StartObject();
  json::KV(w, "Name", p.name);
  json::KV(w, "Type", v.type);
  json::KV(w, "Value", value);
  w.Key("Version");
  w.Int64(v.version);
  if (!selector.empty()) json::KV(w, "Selector", selector);
  w.Key("LastModifiedDate");
  json::WriteTimestamp(w, v.modified_ms);
  json::KV(w, "ARN", dssm::ParameterArn(p.region, p.account, p.name));
  json::KV(w, "DataType", v.data_type);
  w.EndObject();
}

void WriteMetadata(json::Writer& w, const dssm::Parameter& p) {
  w.StartObject();
  json::KV(w, "ARN", dssm::ParameterArn(p.region, p.account, p.name));
  WriteCommonMeta(w, p, p.Latest());
  w.EndObject();
}

void WriteHistory(json::Writer& w, const dssm::Parameter& p, const dssm::ParameterVersion& v,
                  const std::string& value) {
  w.StartObject();
  WriteCommonMeta(w, p, v);
  json::KV(w, "Value", value);
  w.Key("Labels");
  json::WriteStringList(w, v.labels);
  w.EndObject();
}

void WriteTags(json::Writer& w, const std::vector<dssm::Tag>& tags) {
  w.StartArray();
  for (const auto& t : tags) {
    w.StartObject();
    json::KV(w, "Key", t.key);
    json::KV(w, "Value", t.value);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace arcana::services::ssm
