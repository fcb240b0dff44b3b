#include "domain/ssm/resource_policy.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "crypto/hash.h"

namespace arcana::domain::ssm {

namespace {

Status Malformed(std::string_view why) {
  return Status(ErrorCode::kMalformedResourcePolicyDocument,
                "The policy document is malformed: " + std::string(why) + ".");
}

bool HasPrincipal(const rapidjson::Value& st) {
  return st.IsObject() && (st.HasMember("Principal") || st.HasMember("NotPrincipal"));
}

}  // namespace

std::string PolicyHashOf(std::string_view policy) { return crypto::Sha256Hex(policy); }

Status CheckResourcePolicyDocument(std::string_view policy) {
  if (policy.size() > kMaxResourcePolicyBytes) {
    return Status(ErrorCode::kResourcePolicyLimitExceeded,
                  "The policy is " + std::to_string(policy.size()) +
                      " bytes; a resource policy can't be greater than " +
                      std::to_string(kMaxResourcePolicyBytes) + " bytes.");
  }
  rapidjson::Document doc;
  doc.Parse(policy.data(), policy.size());
  if (doc.HasParseError() || !doc.IsObject()) return Malformed("it is not a JSON object");
  if (!doc.HasMember("Statement")) return Malformed("it has no Statement");
  const auto& st = doc["Statement"];
  if (st.IsObject()) {
    if (!HasPrincipal(st)) return Malformed("a statement names no Principal");
  } else if (st.IsArray() && !st.Empty()) {
    for (const auto& s : st.GetArray()) {
      if (!HasPrincipal(s)) return Malformed("a statement names no Principal");
    }
  } else {
    return Malformed("Statement is neither an object nor a non-empty list");
  }
  return Status::Ok();
}

std::string CombinedResourcePolicy(const std::vector<ResourcePolicy>& policies) {
  if (policies.empty()) return {};
  // One policy is evaluated as written (its own Version decides how variables read).
  if (policies.size() == 1) return policies[0].policy;
  rapidjson::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  rapidjson::Value statements(rapidjson::kArrayType);
  for (const auto& p : policies) {
    rapidjson::Document doc;
    doc.Parse(p.policy.data(), p.policy.size());
    if (doc.HasParseError() || !doc.IsObject() || !doc.HasMember("Statement")) continue;
    auto& st = doc["Statement"];
    if (st.IsArray()) {
      for (auto& s : st.GetArray()) statements.PushBack(rapidjson::Value(s, a), a);
    } else {
      statements.PushBack(rapidjson::Value(st, a), a);
    }
  }
  out.AddMember("Version", "2012-10-17", a);
  out.AddMember("Statement", statements, a);
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  out.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace arcana::domain::ssm
