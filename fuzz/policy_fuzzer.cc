// libFuzzer target: the IAM policy parser and the condition evaluator (auth/policy).
// Input: a policy document, optionally followed by "\n--\n" and context lines "key=value"
// (a key may repeat: multi-valued). The document is parsed as an identity and as a resource
// policy; whatever parses is evaluated against the context for a few actions and principals.
// Nothing may crash, hang or read out of bounds, whatever the bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/policy/evaluator.h"
#include "auth/policy/policy.h"

using namespace arcana::auth;
using namespace arcana::auth::policy;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string_view doc = in, rest;
  if (auto sep = in.find("\n--\n"); sep != std::string_view::npos) {
    doc = in.substr(0, sep);
    rest = in.substr(sep + 4);
  }
  ContextKeys ctx;
  std::map<std::string, std::vector<std::string>> multi;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    multi[std::string(line.substr(0, eq))].emplace_back(line.substr(eq + 1));
  }
  for (auto& [k, v] : multi) ctx.SetList(k, std::move(v));

  Principal user;
  user.type = Principal::Type::kUser;
  user.account = "111122223333";
  user.arn = user.principal_arn = "arn:aws:iam::111122223333:user/alice";
  Principal other = user;
  other.account = "444455556666";
  other.arn = other.principal_arn = "arn:aws:iam::444455556666:root";
  other.type = Principal::Type::kRoot;

  auto identity = ParsePolicy(doc, PolicyUse::kIdentity);
  auto resource = ParsePolicy(doc, PolicyUse::kResource);
  for (const char* action : {"secretsmanager:GetSecretValue", "kms:Decrypt", "ssm:GetParameter"}) {
    for (const Principal* p : {&user, &other}) {
      ResourceView rv;
      rv.arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:a/b-AbCdEf";
      rv.account = "111122223333";
      rv.is_kms_key = std::string_view(action).starts_with("kms:");
      if (resource.ok()) rv.resource_policy = AppliedPolicy{*resource, "r", PolicySource::Kind::kResource};
      EvalRequest req;
      req.principal = p;
      req.action = action;
      req.resource = &rv;
      req.context = &ctx;
      if (identity.ok()) {
        req.identity.push_back({*identity, "i", PolicySource::Kind::kIdentity});
        req.boundary = AppliedPolicy{*identity, "b", PolicySource::Kind::kBoundary};
      }
      Decision d = Evaluate(req);
      (void)DenialMessage(*p, action, rv.arn, d);
    }
  }
  return 0;
}
