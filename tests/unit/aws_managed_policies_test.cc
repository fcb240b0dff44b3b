// The AWS managed policy catalog (domain/iam/aws_managed_policies.h) as the policy engine
// sees it: every document compiles, long ones too (ReadOnlyAccess is ~91,000 characters,
// far over a customer policy's 6,144), and each is compiled once for the process, not per
// call (auth/policy/policy_cache.h CompiledAwsManagedPolicy).
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "auth/policy/evaluator.h"
#include "auth/policy/policy.h"
#include "auth/policy/policy_cache.h"
#include "domain/iam/aws_managed_policies.h"

namespace arcana::auth::policy {
namespace {

constexpr const char* kReadOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess";
constexpr const char* kViewOnly = "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess";

PolicySource CatalogSource(const std::string& arn, PolicySource::Kind kind) {
  const auto* p = domain::iam::FindAwsManagedPolicy(arn);
  EXPECT_NE(p, nullptr) << arn;
  return PolicySource{p->DefaultVersion()->document, arn, kind};
}

TEST(AwsManagedPolicies, EveryDocumentIsJsonAndCompiles) {
  for (const auto& p : domain::iam::AwsManagedPolicies()) {
    const auto* v = p.DefaultVersion();
    ASSERT_NE(v, nullptr) << p.name;
    rapidjson::Document d;
    d.Parse(v->document.data(), v->document.size());
    EXPECT_FALSE(d.HasParseError()) << p.name;
    auto compiled = ParsePolicy(v->document, PolicyUse::kIdentity);
    EXPECT_TRUE(compiled.ok()) << p.name << ": " << compiled.status().message();
    EXPECT_EQ(domain::iam::FindAwsManagedPolicy(p.Arn()), &p) << p.name;
  }
}

TEST(AwsManagedPolicies, LongDocumentsAreHeldWhole) {
  const auto* ro = domain::iam::FindAwsManagedPolicy(kReadOnly);
  ASSERT_NE(ro, nullptr);
  EXPECT_EQ(ro->default_version, "v188");
  const std::string& doc = ro->DefaultVersion()->document;
  EXPECT_GT(doc.size(), 6144u);  // a customer policy's quota: not applied to the catalog
  EXPECT_EQ(doc.size(), 91266u);
  EXPECT_TRUE(doc.starts_with(
      R"({"Version":"2012-10-17","Statement":[{"Sid":"ReadOnlyActionsGroup1")"));
  EXPECT_TRUE(doc.ends_with(R"({"s3express:SessionMode":"ReadOnly"}}}]})"));
  auto compiled = CompiledAwsManagedPolicy(CatalogSource(kReadOnly, PolicySource::Kind::kIdentity));
  ASSERT_NE(compiled, nullptr);
  size_t actions = 0;
  for (const auto& s : compiled->statements) actions += s.actions.size();
  EXPECT_EQ(compiled->statements.size(), 3u);
  EXPECT_EQ(actions, 1510u + 1403u + 1u);

  const auto* vo = domain::iam::FindAwsManagedPolicy(kViewOnly);
  ASSERT_NE(vo, nullptr);
  EXPECT_EQ(vo->path, "/job-function/");
  EXPECT_EQ(vo->name, "ViewOnlyAccess");
  EXPECT_EQ(domain::iam::FindAwsManagedPolicy("arn:aws:iam::aws:policy/ViewOnlyAccess"), nullptr);
  EXPECT_NE(domain::iam::FindAwsManagedPolicy("arn:aws:iam::aws:policy/SecurityAudit"), nullptr);
}

TEST(AwsManagedPolicies, CompiledOnceForTheProcess) {
  PolicySource src = CatalogSource(kReadOnly, PolicySource::Kind::kIdentity);
  auto a = CompiledAwsManagedPolicy(src);
  auto b = CompiledAwsManagedPolicy(src);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a.get(), b.get());
  // As a boundary or session policy too (all identity-policy grammar), and through any
  // PolicyCache: the same compiled policy, never a per-cache or per-call parse.
  EXPECT_EQ(CompiledAwsManagedPolicy(CatalogSource(kReadOnly, PolicySource::Kind::kSession)).get(),
            a.get());
  PolicyCache one, two;
  EXPECT_EQ(one.Apply(src)->policy.get(), a.get());
  EXPECT_EQ(two.Apply(src)->policy.get(), a.get());
  // Only the catalog's own text under the catalog's ARN, and never as a resource policy.
  PolicySource other = src;
  other.json = R"({"Version":"2012-10-17","Statement":[]})";
  EXPECT_EQ(CompiledAwsManagedPolicy(other), nullptr);
  EXPECT_TRUE(one.Apply(other)->policy->statements.empty());
  PolicySource renamed = src;
  renamed.source_id = "user/alice:inline";
  EXPECT_EQ(CompiledAwsManagedPolicy(renamed), nullptr);
  PolicySource resource = src;
  resource.kind = PolicySource::Kind::kResource;
  EXPECT_EQ(CompiledAwsManagedPolicy(resource), nullptr);
}

Decision Decide(const std::string& arn, const std::string& action, const std::string& resource) {
  static PolicyCache cache;
  Principal p;
  p.type = Principal::Type::kAssumedRole;
  p.account = "111122223333";
  p.arn = "arn:aws:sts::111122223333:assumed-role/reader/s";
  p.principal_arn = "arn:aws:iam::111122223333:role/reader";
  ContextKeys keys;
  ResourceView rv;
  rv.arn = resource;
  rv.account = p.account;
  EvalRequest req;
  req.principal = &p;
  req.action = action;
  req.resource = &rv;
  req.context = &keys;
  req.identity.push_back(cache.Apply(CatalogSource(arn, PolicySource::Kind::kIdentity)).value());
  return Evaluate(req);
}

TEST(AwsManagedPolicies, ReadOnlyAccessReadsButNeitherWritesNorDecrypts) {
  const std::string secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf";
  const std::string key = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef";
  const std::string param = "arn:aws:ssm:us-east-1:111122223333:parameter/app/db";
  for (const auto& [action, resource] : std::vector<std::pair<std::string, std::string>>{
           {"secretsmanager:DescribeSecret", secret},
           {"secretsmanager:ListSecrets", "*"},
           {"secretsmanager:ListSecretVersionIds", secret},
           {"secretsmanager:GetResourcePolicy", secret},
           {"ssm:DescribeParameters", "*"},
           {"ssm:GetParameter", param},  // ssm:Get* is in v188
           {"kms:ListKeys", "*"},
           {"kms:DescribeKey", key},
           {"iam:GetRole", "arn:aws:iam::111122223333:role/reader"},
       }) {
    EXPECT_TRUE(Decide(kReadOnly, action, resource).allowed()) << action;
  }
  for (const auto& [action, resource] : std::vector<std::pair<std::string, std::string>>{
           {"secretsmanager:GetSecretValue", secret},
           {"secretsmanager:BatchGetSecretValue", "*"},
           {"secretsmanager:PutSecretValue", secret},
           {"secretsmanager:CreateSecret", secret},
           {"kms:Decrypt", key},
           {"kms:GenerateDataKey", key},
           {"ssm:PutParameter", param},
           {"iam:CreateUser", "arn:aws:iam::111122223333:user/x"},
       }) {
    Decision d = Decide(kReadOnly, action, resource);
    EXPECT_FALSE(d.allowed()) << action;
    EXPECT_EQ(d.decision, EvalDecision::kImplicitDeny) << action;
  }
  // ViewOnlyAccess lists, but does not describe secrets or read parameters.
  EXPECT_TRUE(Decide(kViewOnly, "kms:ListKeys", "*").allowed());
  EXPECT_FALSE(Decide(kViewOnly, "secretsmanager:DescribeSecret", secret).allowed());
  EXPECT_FALSE(Decide(kViewOnly, "ssm:GetParameter", param).allowed());
  // SecurityAudit describes secrets but does not read them.
  const std::string audit = "arn:aws:iam::aws:policy/SecurityAudit";
  EXPECT_TRUE(Decide(audit, "secretsmanager:DescribeSecret", secret).allowed());
  EXPECT_FALSE(Decide(audit, "secretsmanager:GetSecretValue", secret).allowed());
}

}  // namespace
}  // namespace arcana::auth::policy
