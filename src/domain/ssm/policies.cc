#include "domain/ssm/policies.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <set>

#include "common/civil_time.h"
#include "common/json.h"

namespace arcana::domain::ssm {
namespace {

Status BadAttribute(const std::string& what) {
  return Status(ErrorCode::kInvalidPolicyAttribute,
                "A policy attribute or its value is invalid: " + what);
}

std::optional<std::string> StrMember(const rapidjson::Value& o, const char* k) {
  auto it = o.FindMember(k);
  if (it == o.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string(it->value.GetString(), it->value.GetStringLength());
}

Status CheckCountAndUnit(const rapidjson::Value& attrs, const char* count_key,
                         const std::string& type) {
  auto count = StrMember(attrs, count_key);
  auto unit = StrMember(attrs, "Unit");
  if (!count || count->empty() || count->size() > 6) {
    return BadAttribute(type + " requires Attributes." + count_key + " (a positive number).");
  }
  for (char c : *count) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return BadAttribute(type + " Attributes." + count_key + " must be a positive number.");
    }
  }
  if (std::atoi(count->c_str()) <= 0) {
    return BadAttribute(type + " Attributes." + count_key + " must be a positive number.");
  }
  if (!unit || (*unit != "Days" && *unit != "Hours")) {
    return BadAttribute(type + " Attributes.Unit must be Days or Hours.");
  }
  return Status::Ok();
}

}  // namespace

std::optional<int64_t> ParseIso8601(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)
  auto num = [&](size_t pos, size_t n, int* out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, sec;
  if (!num(0, 4, &y) || s.size() < 19 || s[4] != '-' || !num(5, 2, &mo) || s[7] != '-' ||
      !num(8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !num(11, 2, &h) || s[13] != ':' ||
      !num(14, 2, &mi) || s[16] != ':' || !num(17, 2, &sec)) {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 3) ms = ms * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 3; ++i) ms *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!num(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !num(pos + 4, 2, &om)) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t epoch = EpochSecondsUtc(y, mo, d, h, mi, sec) - offset_s;
  return epoch * 1000 + ms;
}

Result<ParsedPolicies> ParsePolicies(std::string_view json, int64_t now_ms) {
  // AWS echoes the input as given: "Invalid policies input: <Policies>." (its answer to a
  // single policy object not in an array, quoted in pytorch/test-infra#6858). Policies are
  // not secret.
  const Status invalid_input(ErrorCode::kValidation,
                             "Invalid policies input: " + std::string(json) + ".");
  rapidjson::Document doc;
  if (!json::ParseBounded(json, &doc).ok() || !doc.IsArray()) return invalid_input;
  if (doc.Size() > kMaxPolicies) {
    return Status(ErrorCode::kPoliciesLimitExceeded,
                  "You specified more than the maximum number of allowed policies for the "
                  "parameter. The maximum is 10.");
  }
  ParsedPolicies out;
  std::set<std::string> seen;
  for (const auto& p : doc.GetArray()) {
    if (!p.IsObject()) return invalid_input;  // not a policy: the input is not a policy list
    auto type = StrMember(p, "Type");
    if (!type || (*type != "Expiration" && *type != "ExpirationNotification" &&
                  *type != "NoChangeNotification")) {
      return Status(ErrorCode::kInvalidPolicyType,
                    "The policy type " + type.value_or("") +
                        " isn't supported. Parameter Store supports the following policy types: "
                        "Expiration, ExpirationNotification, and NoChangeNotification.");
    }
    if (!seen.insert(*type).second) {
      return Status(ErrorCode::kIncompatiblePolicy,
                    "There is a conflict in the policies specified for this parameter: a "
                    "parameter can have only one " + *type + " policy.");
    }
    auto version = StrMember(p, "Version");
    if (version && *version != "1.0") {
      return BadAttribute("Version must be \"1.0\".");
    }
    auto attrs_it = p.FindMember("Attributes");
    if (attrs_it == p.MemberEnd() || !attrs_it->value.IsObject()) {
      return BadAttribute(*type + " requires an Attributes object.");
    }
    const auto& attrs = attrs_it->value;
    if (*type == "Expiration") {
      auto ts = StrMember(attrs, "Timestamp");
      std::optional<int64_t> when = ts ? ParseIso8601(*ts) : std::nullopt;
      if (!when) {
        return BadAttribute("Expiration requires Attributes.Timestamp in ISO 8601 format, for "
                            "example 2030-12-02T21:34:33.000Z.");
      }
      if (*when <= now_ms) {
        return BadAttribute("the Expiration Timestamp must be in the future.");
      }
      out.expires_ms = *when;
    } else if (*type == "ExpirationNotification") {
      ARCANA_RETURN_IF_ERROR(CheckCountAndUnit(attrs, "Before", *type));
    } else {
      ARCANA_RETURN_IF_ERROR(CheckCountAndUnit(attrs, "After", *type));
    }
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    p.Accept(w);
    out.policies.push_back({*type, std::string(buf.GetString(), buf.GetSize())});
  }
  return out;
}

}  // namespace arcana::domain::ssm
