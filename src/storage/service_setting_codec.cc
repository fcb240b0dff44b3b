#include "storage/service_setting_codec.h"

#include "common/json.h"

namespace arcana::storage {

std::string ServiceSettingMetaKey(const Scope& scope, const std::string& setting_id) {
  return std::string(kServiceSettingMetaPrefix) + scope.account + "/" + scope.region +
         setting_id;
}

std::string EncodeServiceSetting(const domain::ssm::ServiceSettingState& state) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  json::KV(w, "id", state.id);
  json::KV(w, "value", state.value);
  json::KV(w, "status", state.status);
  w.Key("modified");
  w.Int64(state.modified_ms);
  json::KV(w, "user", state.modified_user);
  w.EndObject();
  return json::Finish(buf);
}

Result<domain::ssm::ServiceSettingState> DecodeServiceSetting(const std::string& text) {
  rapidjson::Document d;
  if (!json::ParseBounded(text, &d).ok() || !d.IsObject()) {
    return Status(ErrorCode::kSsmInternalServerError, "stored service setting is corrupt");
  }
  domain::ssm::ServiceSettingState s;
  s.id = json::StrField(d, "id");
  s.value = json::StrField(d, "value");
  s.status = json::StrField(d, "status");
  s.modified_ms = json::IntField(d, "modified");
  s.modified_user = json::StrField(d, "user");
  if (s.id.empty() || s.value.empty() || s.status.empty()) {
    return Status(ErrorCode::kSsmInternalServerError, "stored service setting is incomplete");
  }
  return s;
}

}  // namespace arcana::storage
