// ParameterStringFilter rules for DescribeParameters and GetParametersByPath (spec 4.2; AWS
// ParameterStringFilter docs: every key but Label is valid for DescribeParameters; only Type,
// KeyId and Label for GetParametersByPath). Options: Name Equals (default) / BeginsWith /
// Contains; Path OneLevel (default) / Recursive; Label Equals; others Equals / BeginsWith.
// A `tag:<key>` filter without Values matches parameters carrying the tag.
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "domain/ssm/parameter.h"

namespace arcana::domain::ssm {

struct StringFilter {
  std::string key;
  std::string option;  // "" until NormalizeFilters fills the default
  std::vector<std::string> values;
};

enum class FilterUse { kDescribe, kByPath };

// Whether `key` matches the model's ParameterStringFilterKey pattern
// `tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType` (a full match; `.` is any character but a
// line terminator). The request validator checks it with the other model constraints, so a
// bad key is counted with them ("2 validation errors detected: ...", as AWS counts).
bool MatchesFilterKeyPattern(std::string_view key);

// Whether a tag key or value can match the model's TagKey / TagValue pattern
// `^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$`: every ASCII character must be a letter, a digit, a
// space or one of _.:/=+-@. Characters outside ASCII are accepted unchecked (classifying them
// needs Unicode tables): only what AWS certainly refuses is refused.
bool MayMatchTagPattern(std::string_view text);

// Validates keys, options and values and fills default options. Errors: kValidation (key
// pattern, path syntax), kInvalidFilterKey, kInvalidFilterOption, kInvalidFilterValue.
Status NormalizeFilters(std::vector<StringFilter>& filters, FilterUse use);

// The deprecated DescribeParameters `Filters` (Name, Type, KeyId) as string filters
// (Name -> BeginsWith, others Equals).
std::vector<StringFilter> FromLegacyFilters(const std::vector<StringFilter>& legacy);

// Whether the latest version of `p` passes every filter except Label (which selects a
// version: see LabelledVersion).
bool MatchesFilters(const Parameter& p, const std::vector<StringFilter>& filters);

// For a Label filter: the version carrying one of its labels, or nullptr. With no Label
// filter: the latest version.
const ParameterVersion* LabelledVersion(const Parameter& p, const std::vector<StringFilter>& filters);

// Path matching shared by GetParametersByPath and the Path filter. path: "/" or "/a/b"
// (a trailing '/' is ignored).
bool InPath(const std::string& name, const std::string& path, bool recursive);

}  // namespace arcana::domain::ssm
