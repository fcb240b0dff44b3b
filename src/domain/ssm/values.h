// Value rules of PutParameter (spec 4.1, 7.2): non-empty values, tier resolution with the 4 KB
// (Standard) / 8 KB (Advanced) limits, AllowedPattern (at most 1024 characters, matched against
// the whole value in linear time by common/pattern.h), and DataType (text, aws:ec2:image with its
// AMI id format, aws:ssm:integration).
// Thread-safety: pure functions; compiled patterns are immutable and shareable.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/pattern.h"
#include "common/status.h"

namespace arcana::domain::ssm {

inline constexpr size_t kStandardMaxValue = 4096;
inline constexpr size_t kAdvancedMaxValue = 8192;

// kValidation for an empty value, or one that nests a parameter reference ("{{" with a
// "}}" after it, AWS's own refusal).
Status CheckValue(std::string_view value);

// The tier to store. requested: "" (keep `previous`, else Standard), Standard, Advanced or
// Intelligent-Tiering (Advanced when the value or policies need it, or for a new parameter
// when standard_full says the account's Standard parameters are at their quota, as AWS's
// Tier documentation lists; else Standard; never a downgrade). previous: "" for a new
// parameter. Errors: kValidation (too large for the tier, Advanced -> Standard, policies on
// Standard).
Result<std::string> ResolveTier(std::string_view requested, std::string_view previous,
                                size_t value_bytes, bool has_policies,
                                bool standard_full = false);

// The tier a PutParameter asks for once the account's default-parameter-tier service setting
// (service_settings.h) is applied: the request's Tier when it names one; else the default
// when that is Advanced or Intelligent-Tiering (AWS: "If no tier is specified, the default
// tier setting determines which tier is used", for creates and updates alike); else "" (a
// Standard default: ResolveTier keeps an existing parameter's tier, Standard for a new one,
// so overwriting an Advanced parameter without a Tier is no attempted downgrade).
std::string_view TierToApply(std::string_view requested, std::string_view default_tier);

// AllowedPattern's length limit in the service model.
inline constexpr size_t kMaxAllowedPatternLength = 1024;

// A compiled AllowedPattern; null for "" (no constraint).
using AllowedPattern = std::shared_ptr<const pattern::Pattern>;

// Compiles an AllowedPattern (cached). Compile before taking a lock: the result is immutable.
// Errors: kInvalidAllowedPattern (not a regular expression), kValidation (longer than 1024, or a
// construct such as a backreference or lookaround that needs a backtracking engine).
Result<AllowedPattern> CompileAllowedPattern(std::string_view pattern);
// kParameterPatternMismatch when value does not match `pattern` in full (null: always OK).
Status CheckPatternMatch(std::string_view value, const AllowedPattern& pattern);

// kValidation for an unknown data type, or one the parameter's type cannot have
// (aws:ec2:image: String only).
Status CheckDataType(std::string_view data_type, std::string_view type);
// Whether the value passes what AWS validates after PutParameter has answered (aws:ec2:image:
// an AMI id; AWS also needs the image to exist in EC2, which Arcana cannot see). AWS answers
// such a write with success and then neither creates nor updates the parameter.
bool PassesAsyncValidation(std::string_view data_type, std::string_view value);
// kValidation when an existing parameter's data type would change to or from aws:ec2:image
// or aws:ssm:integration (AWS's user guide, "Parameter data types": not allowed).
Status CheckDataTypeChange(std::string_view from, std::string_view to);

}  // namespace arcana::domain::ssm
