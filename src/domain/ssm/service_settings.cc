#include "domain/ssm/service_settings.h"

#include <algorithm>
#include <array>

#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {
namespace {

// AWS's description of ServiceSettingNotFound (API reference, Errors; botocore's model).
constexpr const char* kSettingNotFoundText =
    "The specified service setting wasn't found. Either the service name or the setting hasn't "
    "been provisioned by the AWS service team.";

const std::vector<ServiceSettingSpec>& ServedSettings() {
  static const std::vector<ServiceSettingSpec> specs = {
      {kDefaultParameterTierSetting, kStandard, {kStandard, kAdvanced, kIntelligentTiering}},
      {kHighThroughputSetting, "false", {"true", "false"}},
  };
  return specs;
}

// The ids AWS documents for the three operations (API reference, botocore 1.43) that belong
// to SSM features outside Parameter Store.
constexpr std::array<std::string_view, 8> kUnservedSettingIds = {
    "/ssm/appmanager/appmanager-enabled",
    "/ssm/automation/customer-script-log-destination",
    "/ssm/automation/customer-script-log-group-name",
    "/ssm/automation/enable-adaptive-concurrency",
    "/ssm/documents/console/public-sharing-permission",
    "/ssm/managed-instance/activation-tier",
    "/ssm/managed-instance/default-ec2-instance-management-role",
    "/ssm/opsinsights/opscenter",
};

// The id an ARN names: arn:PARTITION:ssm:REGION:ACCOUNT:servicesetting/ID-WITHOUT-SLASH.
// Empty when `arn` is not of that form or belongs to another account or region.
std::string SettingIdOfArn(std::string_view arn, std::string_view region,
                           std::string_view account) {
  std::string_view rest = arn;
  std::array<std::string_view, 5> fields;  // arn, partition, service, region, account
  for (auto& f : fields) {
    size_t colon = rest.find(':');
    if (colon == std::string_view::npos) return "";
    f = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  constexpr std::string_view kResource = "servicesetting/";
  if (fields[0] != "arn" || fields[1].empty() || fields[2] != "ssm" || fields[3] != region ||
      fields[4] != account || rest.substr(0, kResource.size()) != kResource) {
    return "";
  }
  rest.remove_prefix(kResource.size() - 1);  // keep the slash: the id starts with it
  return std::string(rest);
}

}  // namespace

Result<const ServiceSettingSpec*> FindServiceSetting(std::string_view setting_id,
                                                     std::string_view region,
                                                     std::string_view account) {
  std::string id = setting_id.substr(0, 4) == "arn:"
                       ? SettingIdOfArn(setting_id, region, account)
                       : std::string(setting_id);
  for (const auto& spec : ServedSettings()) {
    if (id == spec.id) return &spec;
  }
  if (std::find(kUnservedSettingIds.begin(), kUnservedSettingIds.end(), id) !=
      kUnservedSettingIds.end()) {
    return Status(ErrorCode::kServiceSettingNotFound,
                  std::string(kSettingNotFoundText) + " This server serves only the Parameter "
                  "Store settings " + kDefaultParameterTierSetting + " and " +
                  kHighThroughputSetting + ".");
  }
  return Status(ErrorCode::kServiceSettingNotFound, kSettingNotFoundText);
}

Status CheckServiceSettingValue(const ServiceSettingSpec& spec, std::string_view value) {
  for (const char* allowed : spec.allowed_values) {
    if (value == allowed) return Status::Ok();
  }
  std::string list;
  for (size_t i = 0; i < spec.allowed_values.size(); ++i) {
    if (i > 0) list += i + 1 == spec.allowed_values.size() ? " or " : ", ";
    list += spec.allowed_values[i];
  }
  return Status(ErrorCode::kValidation, "The value " + std::string(value) +
                                            " is not valid for the service setting " + spec.id +
                                            ". Valid values: " + list + ".");
}

ServiceSettingState DefaultServiceSettingState(const ServiceSettingSpec& spec) {
  ServiceSettingState s;
  s.id = spec.id;
  s.value = spec.default_value;
  s.status = kSettingDefault;
  s.modified_user = kSettingSystemUser;
  return s;
}

std::string ServiceSettingArn(std::string_view region, std::string_view account,
                              std::string_view setting_id) {
  std::string arn = "arn:aws:ssm:";
  arn.append(region).append(":").append(account).append(":servicesetting").append(setting_id);
  return arn;
}

}  // namespace arcana::domain::ssm
