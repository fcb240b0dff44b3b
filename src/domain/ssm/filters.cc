#include "domain/ssm/filters.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "domain/ssm/names.h"

namespace arcana::domain::ssm {
namespace {

bool IsTagKey(const std::string& key) { return key.size() > 4 && key.compare(0, 4, "tag:") == 0; }

std::string Slashed(const std::string& s) {
  size_t b = 0;
  while (b < s.size() && s[b] == '/') ++b;
  return "/" + s.substr(b);
}

bool StrMatch(const std::string& what, const std::string& option,
              const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (option == "BeginsWith" && what.compare(0, v.size(), v) == 0) return true;
    if (option == "Contains" && what.find(v) != std::string::npos) return true;
    if (option == "Equals" && what == v) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
  return out;
}

}  // namespace

bool MatchesFilterKeyPattern(std::string_view key) {
  static const std::set<std::string_view> kKeys = {"Name",  "Type", "KeyId", "Path",
                                                   "Label", "Tier", "DataType"};
  if (kKeys.count(key) != 0) return true;
  // `.` excludes the line terminators \n, \r, U+0085, U+2028 and U+2029.
  if (key.size() <= 4 || key.substr(0, 4) != "tag:") return false;
  const std::string_view rest = key.substr(4);
  return rest.find_first_of("\r\n") == std::string_view::npos &&
         rest.find("\xC2\x85") == std::string_view::npos &&
         rest.find("\xE2\x80\xA8") == std::string_view::npos &&
         rest.find("\xE2\x80\xA9") == std::string_view::npos;
}

bool MayMatchTagPattern(std::string_view text) {
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || std::isalnum(c) || c == ' ') continue;
    if (std::string_view("_.:/=+-@").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool InPath(const std::string& name, const std::string& path, bool recursive) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p == "/") {
    if (recursive) return true;
    // One level below the root: root-level names ("x" or "/x").
    return NameKey(name).find('/') == std::string::npos;
  }
  std::string n = name;
  if (n.compare(0, p.size() + 1, p + "/") != 0) return false;
  if (recursive) return true;
  return n.find('/', p.size() + 1) == std::string::npos;
}

Status NormalizeFilters(std::vector<StringFilter>& filters, FilterUse use) {
  std::set<std::string> seen;
  for (size_t i = 0; i < filters.size(); ++i) {
    auto& f = filters[i];
    if (!MatchesFilterKeyPattern(f.key)) {
      return Status(ErrorCode::kValidation,
                    "1 validation error detected: Value '" + f.key + "' at 'parameterFilters." +
                        std::to_string(i + 1) +
                        ".member.key' failed to satisfy constraint: Member must satisfy regular "
                        "expression pattern: tag:.+|Name|Type|KeyId|Path|Label|Tier|DataType");
    }
    const bool tag = IsTagKey(f.key);
    if (use == FilterUse::kDescribe && f.key == "Label") {
      return Status(ErrorCode::kInvalidFilterKey,
                    "The following filter key is not valid: Label. Valid filter keys include: "
                    "[Path, Name, Type, KeyId, Tier, DataType, tag:<key>].");
    }
    if (use == FilterUse::kByPath && f.key != "Type" && f.key != "KeyId" && f.key != "Label") {
      return Status(ErrorCode::kInvalidFilterKey,
                    "The following filter key is not valid: " + f.key +
                        ". Valid filter keys include: [Type, KeyId, Label].");
    }
    if (!seen.insert(f.key).second) {
      return Status(ErrorCode::kInvalidFilterKey,
                    "The following filter is duplicated in the request: " + f.key +
                        ". A request can contain only one occurrence of a specific filter.");
    }
    if (f.values.empty() && !tag) {
      return Status(ErrorCode::kInvalidFilterValue,
                    "The following filter values are missing : null for filter key " + f.key +
                        ".");
    }
    std::vector<std::string> options;
    if (f.key == "Path") {
      options = {"Recursive", "OneLevel"};
    } else if (f.key == "Name") {
      options = {"BeginsWith", "Equals", "Contains"};
    } else if (f.key == "Label") {
      options = {"Equals"};
    } else {
      options = {"BeginsWith", "Equals"};
    }
    if (f.option.empty()) f.option = f.key == "Path" ? "OneLevel" : "Equals";
    if (std::find(options.begin(), options.end(), f.option) == options.end()) {
      return Status(ErrorCode::kInvalidFilterOption,
                    "The following filter option is not valid: " + f.option +
                        ". Valid options include: [" + Join(options) + "].");
    }
    auto check_enum = [&](std::vector<std::string> allowed) -> Status {
      if (f.option != "Equals") return Status::Ok();
      for (const auto& v : f.values) {
        if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
          return Status(ErrorCode::kInvalidFilterValue,
                        "The following filter value is not valid: " + v +
                            ". Valid values include: [" + Join(allowed) + "].");
        }
      }
      return Status::Ok();
    };
    if (f.key == "Type") ARCANA_RETURN_IF_ERROR(check_enum({kString, kStringList, kSecureString}));
    if (f.key == "Tier") ARCANA_RETURN_IF_ERROR(check_enum({kStandard, kAdvanced, kIntelligentTiering}));
    if (f.key == "Path") {
      // A Path under "/aws" or "/ssm" (any case, "/awsx" too) names AWS's common (public)
      // parameters, which DescribeParameters never lists: refused before any value's syntax is
      // checked, with AWS's wording (moto's filter-validation tests, which record AWS's
      // messages for every other filter error asserted here).
      for (const auto& v : f.values) {
        std::string lower = v.substr(0, 4);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (lower == "/aws" || lower == "/ssm") {
          return Status(ErrorCode::kValidation,
                        "Filters for common parameters can't be prefixed with \"aws\" or \"ssm\" "
                        "(case-insensitive). When using global parameters, please specify within "
                        "a global namespace.");
        }
      }
      for (const auto& v : f.values) ARCANA_RETURN_IF_ERROR(ValidatePath(v));
    }
  }
  return Status::Ok();
}

std::vector<StringFilter> FromLegacyFilters(const std::vector<StringFilter>& legacy) {
  std::vector<StringFilter> out;
  for (const auto& f : legacy) {
    out.push_back({f.key, f.key == "Name" ? "BeginsWith" : "Equals", f.values});
  }
  return out;
}

bool MatchesFilters(const Parameter& p, const std::vector<StringFilter>& filters) {
  const ParameterVersion& v = p.Latest();
  for (const auto& f : filters) {
    if (f.key == "Label") continue;
    if (f.key == "Name") {
      if (f.option == "Contains") {
        // Against the name as "/"-rooted (a root-level "x" reads "/x"), the values as given:
        // "/tan" finds "tangram" (moto's AWS-mimicking test, getmoto/moto#3189).
        if (!StrMatch(Slashed(p.name), "Contains", f.values)) return false;
      } else {
        std::vector<std::string> vals;
        for (const auto& x : f.values) vals.push_back(Slashed(x));
        if (!StrMatch(Slashed(p.name), f.option, vals)) return false;
      }
    } else if (f.key == "Path") {
      bool any = false;
      for (const auto& x : f.values) any = any || InPath(p.name, x, f.option == "Recursive");
      if (!any) return false;
    } else if (f.key == "Type") {
      if (!StrMatch(v.type, f.option, f.values)) return false;
    } else if (f.key == "KeyId") {
      if (v.type != kSecureString || !StrMatch(v.key_id, f.option, f.values)) return false;
    } else if (f.key == "Tier") {
      if (!StrMatch(v.tier, f.option, f.values)) return false;
    } else if (f.key == "DataType") {
      if (!StrMatch(v.data_type, f.option, f.values)) return false;
    } else if (IsTagKey(f.key)) {
      std::string tag_key = f.key.substr(4);
      bool any = false;
      for (const auto& t : p.tags) {
        if (t.key == tag_key && (f.values.empty() || StrMatch(t.value, f.option, f.values))) {
          any = true;
        }
      }
      if (!any) return false;
    }
  }
  return true;
}

const ParameterVersion* LabelledVersion(const Parameter& p,
                                        const std::vector<StringFilter>& filters) {
  for (const auto& f : filters) {
    if (f.key != "Label") continue;
    for (const auto& label : f.values) {
      if (const ParameterVersion* v = p.FindLabel(label)) return v;
    }
    return nullptr;
  }
  return &p.Latest();
}

}  // namespace arcana::domain::ssm
