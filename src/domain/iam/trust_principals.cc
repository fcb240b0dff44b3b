#include "domain/iam/trust_principals.h"

#include <functional>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace arcana::domain::iam {
namespace {

Status TrustPolicyNotJson() {
  return Status(ErrorCode::kMalformedPolicyDocument, "This policy contains invalid Json");
}

// Calls `visit` on every string of the "AWS" member of each statement's Principal and
// NotPrincipal objects.
void ForEachAwsPrincipal(rapidjson::Value& d, const std::function<void(rapidjson::Value&)>& visit) {
  auto statement = d.FindMember("Statement");
  if (statement == d.MemberEnd()) return;
  auto each_statement = [&](rapidjson::Value& st) {
    if (!st.IsObject()) return;
    for (const char* element : {"Principal", "NotPrincipal"}) {
      auto p = st.FindMember(element);
      if (p == st.MemberEnd() || !p->value.IsObject()) continue;
      auto aws = p->value.FindMember("AWS");
      if (aws == p->value.MemberEnd()) continue;
      if (aws->value.IsString()) visit(aws->value);
      if (aws->value.IsArray()) {
        for (auto& v : aws->value.GetArray()) {
          if (v.IsString()) visit(v);
        }
      }
    }
  };
  if (statement->value.IsArray()) {
    for (auto& st : statement->value.GetArray()) each_statement(st);
  } else {
    each_statement(statement->value);
  }
}

}  // namespace

std::optional<NamedPrincipal> NamedPrincipalOf(const std::string& arn) {
  constexpr std::string_view kPrefix = "arn:aws:iam::";
  if (!arn.starts_with(kPrefix) || arn.find_first_of("*?") != std::string::npos) {
    return std::nullopt;
  }
  const size_t colon = arn.find(':', kPrefix.size());
  if (colon == std::string::npos) return std::nullopt;
  NamedPrincipal p;
  p.arn = arn;
  p.account = arn.substr(kPrefix.size(), colon - kPrefix.size());
  const std::string resource = arn.substr(colon + 1);
  for (const char* kind : {"user", "role"}) {
    const std::string prefix = std::string(kind) + "/";
    if (!resource.starts_with(prefix)) continue;
    const size_t last = resource.rfind('/');
    p.kind = kind;
    p.name = resource.substr(last + 1);
    p.path = resource.substr(prefix.size() - 1, last - prefix.size() + 2);
    if (p.name.empty() || p.account.empty()) return std::nullopt;
    return p;
  }
  return std::nullopt;
}

Result<std::vector<NamedPrincipal>> NamedPrincipalsOf(const std::string& doc) {
  rapidjson::Document d;
  d.Parse(doc.data(), doc.size());
  if (d.HasParseError() || !d.IsObject()) return TrustPolicyNotJson();
  std::vector<NamedPrincipal> out;
  ForEachAwsPrincipal(d, [&](rapidjson::Value& v) {
    auto named = NamedPrincipalOf(std::string(v.GetString(), v.GetStringLength()));
    if (!named) return;
    for (const auto& seen : out) {
      if (seen.arn == named->arn) return;
    }
    out.push_back(std::move(*named));
  });
  return out;
}

Result<std::string> ReplacePrincipals(const std::string& doc,
                                      const std::map<std::string, std::string>& replace) {
  if (replace.empty()) return doc;
  rapidjson::Document d;
  d.Parse(doc.data(), doc.size());
  if (d.HasParseError() || !d.IsObject()) return TrustPolicyNotJson();
  bool changed = false;
  ForEachAwsPrincipal(d, [&](rapidjson::Value& v) {
    auto it = replace.find(std::string(v.GetString(), v.GetStringLength()));
    if (it == replace.end()) return;
    v.SetString(it->second.data(), static_cast<rapidjson::SizeType>(it->second.size()),
                d.GetAllocator());
    changed = true;
  });
  if (!changed) return doc;
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  d.Accept(w);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace arcana::domain::iam
