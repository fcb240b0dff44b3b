// GetServiceSetting, UpdateServiceSetting, ResetServiceSetting: Parameter Store's settings of
// the caller's account and region (domain/ssm/service_settings.h), kept by the parameter store.
// Nothing is cached: every node reads the latest setting from the store.
#include "services/ssm/ssm_encode.h"
#include "services/ssm/ssm_service.h"

namespace arcana::services::ssm {

namespace dssm = domain::ssm;

namespace {

// The ServiceSetting shape, members in the order AWS answers them (the aws CLI's documented
// get-service-setting output). LastModifiedDate is left out for a default nobody ever set or
// reset: there is no modification to date.
void WriteServiceSettingShape(json::Writer& w, const dssm::ServiceSettingState& s,
                              const std::string& arn) {
  w.StartObject();
  json::KV(w, "SettingId", s.id);
  json::KV(w, "SettingValue", s.value);
  if (s.modified_ms > 0) {
    w.Key("LastModifiedDate");
    json::WriteTimestamp(w, s.modified_ms);
  }
  json::KV(w, "LastModifiedUser", s.modified_user);
  json::KV(w, "ARN", arn);
  json::KV(w, "Status", s.status);
  w.EndObject();
}

std::string ServiceSettingResult(const dssm::ServiceSettingState& s, const std::string& arn) {
  rapidjson::StringBuffer buf;
  json::Writer w(buf);
  w.StartObject();
  w.Key("ServiceSetting");
  WriteServiceSettingShape(w, s, arn);
  w.EndObject();
  return Finish(buf);
}

}  // namespace

Result<const dssm::ServiceSettingSpec*> SsmService::SettingTarget(const In& in,
                                                                  const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(const dssm::ServiceSettingSpec* spec,
                          dssm::FindServiceSetting(in.Str("SettingId").value_or(""), ctx.region,
                                                   ctx.account));
  const std::string arn = dssm::ServiceSettingArn(ctx.region, ctx.account, spec->id);
  // A setting carries no tags: authorized on its ARN alone.
  ARCANA_RETURN_IF_ERROR(AuthorizeParameter(ctx, arn, nullptr));
  ctx.Touch(audit::kServiceSettingType, arn);
  return spec;
}

Result<std::string> SsmService::DefaultParameterTier(const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(auto stored, store_.GetServiceSetting({ctx.account, ctx.region},
                                                                dssm::kDefaultParameterTierSetting));
  return stored ? stored->value : std::string(dssm::kStandard);
}

Result<std::string> SsmService::GetServiceSetting(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(const dssm::ServiceSettingSpec* spec, SettingTarget(in, ctx));
  ARCANA_ASSIGN_OR_RETURN(auto stored,
                          store_.GetServiceSetting({ctx.account, ctx.region}, spec->id));
  return ServiceSettingResult(stored ? *stored : dssm::DefaultServiceSettingState(*spec),
                              dssm::ServiceSettingArn(ctx.region, ctx.account, spec->id));
}

Result<std::string> SsmService::UpdateServiceSetting(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(const dssm::ServiceSettingSpec* spec, SettingTarget(in, ctx));
  const std::string value = in.Str("SettingValue").value_or("");
  ARCANA_RETURN_IF_ERROR(dssm::CheckServiceSettingValue(*spec, value));
  dssm::ServiceSettingState s;
  s.id = spec->id;
  s.value = value;
  // Customized even when the value equals the default: the customer chose it (AWS's Status
  // "Customized: The current setting use a custom value specified by the customer").
  s.status = dssm::kSettingCustomized;
  s.modified_ms = ctx.now_ms;
  s.modified_user = ctx.principal_arn;
  ARCANA_RETURN_IF_ERROR(store_.PutServiceSetting({ctx.account, ctx.region}, s));
  return std::string("{}");  // UpdateServiceSettingResult has no members
}

Result<std::string> SsmService::ResetServiceSetting(const In& in, const CallContext& ctx) {
  ARCANA_ASSIGN_OR_RETURN(const dssm::ServiceSettingSpec* spec, SettingTarget(in, ctx));
  // Back to the default as AWS answers a reset (the aws CLI's documented reset-service-setting
  // output): Status Default, LastModifiedUser "System"; dated now. Who reset it is in the
  // audit trail.
  dssm::ServiceSettingState s = dssm::DefaultServiceSettingState(*spec);
  s.modified_ms = ctx.now_ms;
  ARCANA_RETURN_IF_ERROR(store_.PutServiceSetting({ctx.account, ctx.region}, s));
  return ServiceSettingResult(s, dssm::ServiceSettingArn(ctx.region, ctx.account, spec->id));
}

}  // namespace arcana::services::ssm
