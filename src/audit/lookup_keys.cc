#include "audit/lookup_keys.h"

#include <algorithm>
#include <tuple>

#include "audit/trail_query.h"
#include "crypto/hash.h"

namespace arcana::audit {
namespace {

std::string Str(const rapidjson::Value& o, const char* k) {
  if (!o.IsObject()) return "";
  auto it = o.FindMember(k);
  return it != o.MemberEnd() && it->value.IsString()
             ? std::string(it->value.GetString(), it->value.GetStringLength())
             : "";
}

constexpr size_t kMaxIndexedValue = 512;

}  // namespace

std::string IndexValue(std::string_view value) {
  if (value.size() <= kMaxIndexedValue) return std::string(value);
  return "#sha256:" + crypto::Sha256Hex(value);
}

std::vector<std::string> ResourceNameKeys(std::string_view arn) {
  std::vector<std::string> keys;
  if (arn.empty()) return keys;
  keys.emplace_back(arn);
  size_t start = 0;  // where the resource part begins
  for (int colons = 0; colons < 5; ++colons) {
    const size_t c = arn.find(':', start);
    if (c == std::string_view::npos) {
      start = 0;  // not an ARN: all of it
      break;
    }
    start = c + 1;
  }
  if (start > 0 && start < arn.size()) keys.emplace_back(arn.substr(start));
  for (size_t i = start; i < arn.size(); ++i) {
    if (arn[i] != '/' && arn[i] != ':') continue;
    if (arn[i] == '/') keys.emplace_back(arn.substr(i));
    if (i + 1 < arn.size()) keys.emplace_back(arn.substr(i + 1));
  }
  // A secret's name: the ARN ends in "-" and six characters after it.
  constexpr std::string_view kSecret = ":secret:";
  if (const size_t p = arn.find(kSecret); p != std::string_view::npos) {
    const size_t name_at = p + kSecret.size();
    if (arn.size() >= name_at + 8 && arn[arn.size() - 7] == '-') {
      keys.emplace_back(arn.substr(name_at, arn.size() - 7 - name_at));
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

std::vector<storage::AuditLookupKey> LookupKeysOf(const rapidjson::Value& record) {
  std::vector<storage::AuditLookupKey> keys;
  auto add = [&](const char* attribute, std::string_view value) {
    if (!value.empty()) keys.push_back({attribute, IndexValue(value)});
  };
  add("EventId", Str(record, "eventID"));
  add("EventName", Str(record, "eventName"));
  add("EventSource", Str(record, "eventSource"));
  auto ro = record.IsObject() ? record.FindMember("readOnly") : record.MemberEnd();
  add("ReadOnly", ro != record.MemberEnd() && ro->value.IsBool() && ro->value.GetBool()
                      ? "true" : "false");
  add("Username", UsernameOf(record));
  if (auto u = record.IsObject() ? record.FindMember("userIdentity") : record.MemberEnd();
      u != record.MemberEnd()) {
    add("AccessKeyId", Str(u->value, "accessKeyId"));
  }
  if (auto res = record.IsObject() ? record.FindMember("resources") : record.MemberEnd();
      res != record.MemberEnd() && res->value.IsArray()) {
    for (const auto& r : res->value.GetArray()) {
      add("ResourceType", Str(r, "type"));
      for (const auto& k : ResourceNameKeys(Str(r, "ARN"))) add("ResourceName", k);
    }
  }
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return std::tie(a.attribute, a.value) < std::tie(b.attribute, b.value);
  });
  keys.erase(std::unique(keys.begin(), keys.end(),
                         [](const auto& a, const auto& b) {
                           return a.attribute == b.attribute && a.value == b.value;
                         }),
             keys.end());
  return keys;
}

}  // namespace arcana::audit
