// How both backends keep Parameter Store's service settings (parameter_store.h) in their
// `meta` table: the key that names one setting of one account and region, and its state as a
// small JSON document. Every such key starts with kServiceSettingMetaPrefix and sorts before
// kServiceSettingMetaEnd, so a dev-mode reset drops them with one range delete.
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "common/status.h"
#include "domain/ssm/service_settings.h"
#include "storage/store_types.h"

namespace arcana::storage {

inline constexpr const char* kServiceSettingMetaPrefix = "ssm.service-setting/";
inline constexpr const char* kServiceSettingMetaEnd = "ssm.service-setting0";  // '/' + 1

// "ssm.service-setting/ACCOUNT/REGION/ssm/parameter-store/default-parameter-tier".
std::string ServiceSettingMetaKey(const Scope& scope, const std::string& setting_id);

std::string EncodeServiceSetting(const domain::ssm::ServiceSettingState& state);
// kSsmInternalServerError when `json` is not a document EncodeServiceSetting wrote.
Result<domain::ssm::ServiceSettingState> DecodeServiceSetting(const std::string& json);

}  // namespace arcana::storage
