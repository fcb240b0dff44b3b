#include "domain/secretsmanager/resource_policy.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

constexpr const char* kGood = R"({
  "Version": "2012-10-17",
  "Statement": [{
    "Sid": "ReadOnly",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/app"},
    "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    "Resource": "*",
    "Condition": {"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]}}
  }]
})";

ErrorCode Code(std::string_view p) { return ValidateResourcePolicy(p).status().code(); }

TEST(SmResourcePolicy, GoodPolicyPasses) {
  auto r = ValidateResourcePolicy(kGood);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_TRUE(r->empty());
  EXPECT_FALSE(GrantsPublicAccess(kGood));
  // Single statement object, 2008 version, NotAction/NotResource, Deny.
  auto r2 = ValidateResourcePolicy(R"({"Version":"2008-10-17","Id":"x","Statement":
    {"Effect":"Deny","Principal":"*","NotAction":"secretsmanager:Describe*",
     "NotResource":["arn:aws:secretsmanager:us-east-1:123456789012:secret:a-abcdef"]}})");
  ASSERT_TRUE(r2.ok()) << r2.status().message();
  EXPECT_TRUE(r2->empty());
}

TEST(SmResourcePolicy, HardErrors) {
  const char* bad[] = {
      "", "not json", "[1,2]", R"({"Statement":[]})", "{}", R"({"Statement":"x"})",
      R"({"Version":"2020-01-01","Statement":{"Effect":"Allow","Principal":"*","Action":"*"}})",
      R"({"Bogus":1,"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}})",
      R"({"Statement":{"Effect":"Permit","Principal":"*","Action":"*"}})",
      R"({"Statement":{"Principal":"*","Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","NotAction":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"GetSecretValue"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":[]}})",
      R"({"Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":{},"Action":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","NotResource":"*"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":5}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":"x"}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":"true"}}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"Bool":{"k":{}}}}})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Extra":1}})",
      R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"}, 3]})",
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}} trailing)",
  };
  for (const char* p : bad) {
    auto r = ValidateResourcePolicy(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), ErrorCode::kMalformedPolicyDocument) << p;
    EXPECT_FALSE(r.status().message().empty());
  }
  std::string big = std::string(R"({"Id":")") + std::string(20480, 'x') + R"(","Statement":{}})";
  EXPECT_EQ(Code(big), ErrorCode::kMalformedPolicyDocument);
}

TEST(SmResourcePolicy, SoftFindings) {
  auto r = ValidateResourcePolicy(R"({"Version":"2012-10-17","Statement":[
    {"Sid":"a","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"s3:GetObject",
     "Resource":"arn:aws:s3:::bucket"},
    {"Sid":"a","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:*"}]})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 3u);
  for (const auto& f : *r) EXPECT_EQ(f.check_name, "SYNTAX_CHECKING") << f.error_message;
}

TEST(SmResourcePolicy, BroadAccessFinding) {
  auto r = ValidateResourcePolicy(
      R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].check_name, "BROAD_ACCESS_CHECK");
}

TEST(SmResourcePolicy, GrantsPublicAccess) {
  EXPECT_TRUE(GrantsPublicAccess(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*"}})"));
  EXPECT_TRUE(GrantsPublicAccess(R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}]})"));
  EXPECT_TRUE(GrantsPublicAccess(
      R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:root","*"]},"Action":"*"}]})"));
  EXPECT_TRUE(GrantsPublicAccess(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{}}})"));
  EXPECT_TRUE(GrantsPublicAccess(
      R"({"Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::1:root"},"Action":"*"}})"));
  EXPECT_FALSE(GrantsPublicAccess(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"*"}})"));
  EXPECT_FALSE(GrantsPublicAccess(
      R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}})"));
  EXPECT_FALSE(GrantsPublicAccess(
      R"({"Statement":{"Effect":"Allow","Principal":{"Service":"*"},"Action":"*"}})"));
  EXPECT_FALSE(GrantsPublicAccess(kGood));
  EXPECT_FALSE(GrantsPublicAccess("not json"));
}

}  // namespace
}  // namespace arcana::domain::sm
