#include "domain/ssm/values.h"

#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {

namespace {
// ami- followed by 8 to 17 lowercase hex digits.
bool IsAmiId(std::string_view v) {
  if (v.substr(0, 4) != "ami-" || v.size() < 4 + 8 || v.size() > 4 + 17) return false;
  for (char c : v.substr(4)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}
}  // namespace

Status CheckValue(std::string_view value) {
  if (value.empty()) {
    // AWS's wording: Value is a sensitive member, so it is never echoed ("Value at"), and
    // the constraint has no closing period.
    return Status(ErrorCode::kValidation,
                  "1 validation error detected: Value at 'value' failed to satisfy constraint: "
                  "Member must have length greater than or equal to 1");
  }
  // A value can't reference another parameter (PutParameter's Value: "You can't include {{}}
  // or {{ssm:parameter-name}} in a parameter value"): AWS refuses any "{{" closed later by
  // "}}" (a Go template, {{PLACEHOLDER}}, a CloudFormation {{resolve:...}}), whatever the
  // type; a lone "{{" or "}}" is no reference. The value itself is never echoed.
  const size_t open = value.find("{{");
  if (open != std::string_view::npos && value.find("}}", open + 2) != std::string_view::npos) {
    return Status(ErrorCode::kValidation,
                  "Parameter value can't nest another parameter. Do not use \"{{}}\" in the "
                  "value.");
  }
  return Status::Ok();
}

Result<std::string> ResolveTier(std::string_view requested, std::string_view previous,
                                size_t value_bytes, bool has_policies, bool standard_full) {
  std::string tier;
  if (requested.empty()) {
    tier = previous.empty() ? kStandard : std::string(previous);
  } else if (requested == kIntelligentTiering) {
    // A parameter that exists already counts against its tier: only a new one needs room.
    bool needs_advanced = value_bytes > kStandardMaxValue || has_policies ||
                          previous == kAdvanced || (previous.empty() && standard_full);
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

std::string_view TierToApply(std::string_view requested, std::string_view default_tier) {
  if (!requested.empty()) return requested;
  if (default_tier == kAdvanced || default_tier == kIntelligentTiering) return default_tier;
  return {};
}

Result<AllowedPattern> CompileAllowedPattern(std::string_view source) {
  if (source.empty()) return AllowedPattern();
  pattern::Compiled c = pattern::Compile(source, kMaxAllowedPatternLength);
  switch (c.error) {
    case pattern::PatternError::kNone:
      return std::move(c.pattern);
    case pattern::PatternError::kTooLong:
      // The service model's constraint, worded as the model validator words it.
      return Status(ErrorCode::kValidation,
                    "1 validation error detected: Value at 'allowedPattern' failed to satisfy "
                    "constraint: Member must have length less than or equal to 1024");
    case pattern::PatternError::kInvalid:
      return Status(ErrorCode::kInvalidAllowedPattern,
                    "The allowed pattern " + std::string(source) +
                        " is not a valid regular expression.");
    case pattern::PatternError::kUnsupported:
      break;
  }
  return Status(ErrorCode::kValidation,
                "1 validation error detected: Value '" + std::string(source) +
                    "' at 'allowedPattern' failed to satisfy constraint: Member must be a "
                    "regular expression without backtracking: " + c.detail + ".");
}

Status CheckPatternMatch(std::string_view value, const AllowedPattern& pattern) {
  if (pattern == nullptr || pattern->FullMatch(value)) return Status::Ok();
  // Never echo the value: it may be a SecureString plaintext.
  return Status(ErrorCode::kParameterPatternMismatch,
                "Parameter value, cannot be validated against allowedPattern: " +
                    pattern->source());
}

Status CheckDataType(std::string_view data_type, std::string_view type) {
  if (data_type == "text") return Status::Ok();
  if (data_type == "aws:ec2:image") {
    if (type != kString) {
      return Status(ErrorCode::kValidation,
                    "The aws:ec2:image data type is supported only for parameters of type "
                    "String.");
    }
    return Status::Ok();  // its value: PassesAsyncValidation
  }
  if (data_type == "aws:ssm:integration") return Status::Ok();
  return Status(ErrorCode::kValidation, "The following data type is not supported: " +
                                            std::string(data_type) +
                                            " (Data type names are all lowercase.)");
}

bool PassesAsyncValidation(std::string_view data_type, std::string_view value) {
  return data_type != "aws:ec2:image" || IsAmiId(value);
}

Status CheckDataTypeChange(std::string_view from, std::string_view to) {
  auto fixed = [](std::string_view t) { return t == "aws:ec2:image" || t == "aws:ssm:integration"; };
  if (from == to || (!fixed(from) && !fixed(to))) return Status::Ok();
  return Status(ErrorCode::kValidation,
                "You can't change the data type of a parameter from " + std::string(from) +
                    " to " + std::string(to) + ": a parameter can't be changed to or from the "
                    "aws:ec2:image or aws:ssm:integration data type.");
}

}  // namespace arcana::domain::ssm
