#include "domain/ssm/values.h"

#include <regex>

#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {

Status CheckValue(std::string_view value) {
  if (value.empty()) {
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value '' at 'value' failed to satisfy constraint: "
                  "Member must have length greater than or equal to 1.");
  }
  return Status::Ok();
}

Result<std::string> ResolveTier(std::string_view requested, std::string_view previous,
                                size_t value_bytes, bool has_policies) {
  std::string tier;
  if (requested.empty()) {
    tier = previous.empty() ? kStandard : std::string(previous);
  } else if (requested == kIntelligentTiering) {
    bool needs_advanced = value_bytes > kStandardMaxValue || has_policies || previous == kAdvanced;
    tier = needs_advanced ? kAdvanced : kStandard;
  } else {
    tier = std::string(requested);
  }
  if (previous == kAdvanced && tier == kStandard) {
    return Status(ErrorCode::kValidation,
                  "This parameter uses the advanced-parameter tier. You can't downgrade a "
                  "parameter from the advanced-parameter tier to the standard-parameter tier. If "
                  "necessary, you can delete the advanced parameter and recreate it as a standard "
                  "parameter.");
  }
  if (tier == kStandard && value_bytes > kStandardMaxValue) {
    return Status(ErrorCode::kValidation,
                  "Standard tier parameters support a maximum parameter value of 4096 characters. "
                  "To create a larger parameter value, upgrade the parameter to use the "
                  "advanced-parameter tier. For more information, see "
                  "https://docs.aws.amazon.com/systems-manager/latest/userguide/"
                  "parameter-store-advanced-parameters.html");
  }
  if (tier == kAdvanced && value_bytes > kAdvancedMaxValue) {
    return Status(ErrorCode::kValidation,
                  "Advanced tier parameters support a maximum parameter value of 8192 "
                  "characters.");
  }
  if (tier == kStandard && has_policies) {
    return Status(ErrorCode::kValidation,
                  "Parameter policies are supported only for the advanced-parameter tier. Specify "
                  "Tier Advanced or Intelligent-Tiering to use policies.");
  }
  return tier;
}

namespace {
bool Compile(std::string_view pattern, std::regex* out) {
  try {
    *out = std::regex(pattern.begin(), pattern.end(), std::regex::ECMAScript);
    return true;
  } catch (const std::regex_error&) {
    return false;
  }
}
}  // namespace

Status CheckAllowedPattern(std::string_view pattern) {
  std::regex re;
  if (!Compile(pattern, &re)) {
    return Status(ErrorCode::kInvalidAllowedPattern,
                  "The allowed pattern " + std::string(pattern) +
                      " is not a valid regular expression.");
  }
  return Status::Ok();
}

Status CheckPatternMatch(std::string_view value, std::string_view pattern) {
  if (pattern.empty()) return Status::Ok();
  std::regex re;
  if (!Compile(pattern, &re)) return CheckAllowedPattern(pattern);
  bool matched = false;
  try {
    matched = std::regex_match(value.begin(), value.end(), re);
  } catch (const std::regex_error&) {
    matched = false;  // complexity limits: treat as no match
  }
  if (!matched) {
    // Never echo the value: it may be a SecureString plaintext.
    return Status(ErrorCode::kParameterPatternMismatch,
                  "Parameter value, cannot be validated against allowedPattern: " +
                      std::string(pattern));
  }
  return Status::Ok();
}

Status CheckDataType(std::string_view data_type, std::string_view type, std::string_view value) {
  if (data_type == "text") return Status::Ok();
  if (data_type == "aws:ec2:image") {
    if (type != kString) {
      return Status(ErrorCode::kValidation,
                    "The aws:ec2:image data type is supported only for parameters of type "
                    "String.");
    }
    static const std::regex kAmi("ami-[0-9a-f]{8,17}");
    if (!std::regex_match(value.begin(), value.end(), kAmi)) {
      return Status(ErrorCode::kValidation,
                    "Parameter value, " + std::string(value) +
                        ", must be a valid AMI ID of the form ami-xxxxxxxx or "
                        "ami-xxxxxxxxxxxxxxxxx for data type aws:ec2:image.");
    }
    return Status::Ok();
  }
  if (data_type == "aws:ssm:integration") return Status::Ok();
  return Status(ErrorCode::kValidation, "The following data type is not supported: " +
                                            std::string(data_type) +
                                            " (Data type names are all lowercase.)");
}

}  // namespace arcana::domain::ssm
