// SSM service settings (GetServiceSetting / UpdateServiceSetting / ResetServiceSetting): the
// catalogue of setting ids AWS documents, which of them this server serves, their defaults and
// allowed values, and how a SettingId names one (its bare id or its ARN).
//
// Served: the two Parameter Store settings, /ssm/parameter-store/default-parameter-tier
// (Standard | Advanced | Intelligent-Tiering; the tier PutParameter uses when a request names
// none, see values.h TierToApply) and /ssm/parameter-store/high-throughput-enabled
// (true | false; stored and answered: Arcana has no throughput quota to raise). The other ids
// AWS documents belong to SSM features Arcana does not have (Automation, Session Manager,
// OpsCenter, ...) and no documented default exists for most of them, so they are refused with
// ServiceSettingNotFound saying so, rather than answered with invented values.
// Thread-safety: pure functions over constant data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace arcana::domain::ssm {

inline constexpr const char* kDefaultParameterTierSetting =
    "/ssm/parameter-store/default-parameter-tier";
inline constexpr const char* kHighThroughputSetting =
    "/ssm/parameter-store/high-throughput-enabled";

// ServiceSetting.Status values (PendingUpdate never happens here: updates apply at once).
inline constexpr const char* kSettingDefault = "Default";
inline constexpr const char* kSettingCustomized = "Customized";
// LastModifiedUser of a setting at its default, as AWS answers it (the aws CLI's documented
// get-service-setting and reset-service-setting outputs).
inline constexpr const char* kSettingSystemUser = "System";

// One served setting: its default and the exact values UpdateServiceSetting accepts.
struct ServiceSettingSpec {
  const char* id;
  const char* default_value;
  std::vector<const char*> allowed_values;
};

// A setting's state in one account and region, as stored and answered.
struct ServiceSettingState {
  std::string id;        // "/ssm/parameter-store/default-parameter-tier"
  std::string value;
  std::string status;    // kSettingDefault | kSettingCustomized
  int64_t modified_ms = 0;  // 0: never modified (a default nobody set or reset)
  std::string modified_user;  // caller ARN (Customized) or kSettingSystemUser (Default)
};

// The setting a SettingId names in the caller's account and region: a bare id
// ("/ssm/parameter-store/default-parameter-tier") or its ARN
// ("arn:aws:ssm:REGION:ACCOUNT:servicesetting/ssm/parameter-store/default-parameter-tier", any
// partition). Errors (kServiceSettingNotFound): an id AWS does not document, an ARN of another
// account or region, a malformed ARN, or a documented id this server does not serve (the
// message says which settings are served).
Result<const ServiceSettingSpec*> FindServiceSetting(std::string_view setting_id,
                                                     std::string_view region,
                                                     std::string_view account);

// kValidation when `value` is not one of the setting's allowed values (exact spelling).
Status CheckServiceSettingValue(const ServiceSettingSpec& spec, std::string_view value);

// The state of a setting nobody has set: its default, Status Default, never modified.
ServiceSettingState DefaultServiceSettingState(const ServiceSettingSpec& spec);

// arn:aws:ssm:REGION:ACCOUNT:servicesetting/ssm/... (the id keeps its leading slash).
std::string ServiceSettingArn(std::string_view region, std::string_view account,
                              std::string_view setting_id);

}  // namespace arcana::domain::ssm
