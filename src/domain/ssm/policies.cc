#include "domain/ssm/policies.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cstdlib>
#include <ctime>
#include <set>

#include "common/iso8601.h"
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
      std::optional<int64_t> when = ts ? ParseIso8601Ms(*ts) : std::nullopt;
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
