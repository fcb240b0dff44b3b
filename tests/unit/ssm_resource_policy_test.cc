// Parameter Store resource policies' rules (domain/ssm/resource_policy.h) and the ARN fields a
// shared parameter is reached by (domain/ssm/names.h).
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include "domain/ssm/names.h"
#include "domain/ssm/resource_policy.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;

namespace {

const char* kShare =
    R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow",)"
    R"("Principal":{"AWS":"arn:aws:iam::210987654321:root"},)"
    R"("Action":"ssm:GetParameter","Resource":"*"}]})";

}  // namespace

TEST(SsmResourcePolicy, DocumentsNeedAPrincipalInEveryStatementAndFitIn1024Bytes) {
  EXPECT_TRUE(dssm::CheckResourcePolicyDocument(kShare).ok());
  EXPECT_TRUE(dssm::CheckResourcePolicyDocument(
                  R"({"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"*"}})")
                  .ok());
  for (const char* bad : {"", "not json", "[]", R"({"Version":"2012-10-17"})",
                          R"({"Statement":[]})", R"({"Statement":"x"})",
                          R"({"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})"}) {
    EXPECT_EQ(dssm::CheckResourcePolicyDocument(bad).code(),
              ErrorCode::kMalformedResourcePolicyDocument)
        << bad;
  }
  std::string big(dssm::kMaxResourcePolicyBytes + 1, ' ');
  EXPECT_EQ(dssm::CheckResourcePolicyDocument(big).code(),
            ErrorCode::kResourcePolicyLimitExceeded);
}

TEST(SsmResourcePolicy, HashFollowsTheText) {
  EXPECT_EQ(dssm::PolicyHashOf(kShare), dssm::PolicyHashOf(kShare));
  EXPECT_NE(dssm::PolicyHashOf(kShare), dssm::PolicyHashOf(std::string(kShare) + " "));
  EXPECT_EQ(dssm::PolicyHashOf("").size(), 64u);
}

TEST(SsmResourcePolicy, CombinedPolicyHoldsEveryStatementInOrder) {
  EXPECT_EQ(dssm::CombinedResourcePolicy({}), "");
  EXPECT_EQ(dssm::CombinedResourcePolicy({{"a", "h", kShare}}), kShare);
  const char* deny = R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"ssm:*"}})";
  std::string both = dssm::CombinedResourcePolicy({{"a", "h", kShare}, {"b", "h", deny}});
  rapidjson::Document doc;
  doc.Parse(both.c_str());
  ASSERT_TRUE(doc.IsObject());
  EXPECT_STREQ(doc["Version"].GetString(), "2012-10-17");
  ASSERT_TRUE(doc["Statement"].IsArray());
  ASSERT_EQ(doc["Statement"].Size(), 2u);
  EXPECT_STREQ(doc["Statement"][0]["Effect"].GetString(), "Allow");
  EXPECT_STREQ(doc["Statement"][1]["Effect"].GetString(), "Deny");
}

TEST(SsmResourcePolicy, AnArnNamesItsAccountAndRegion) {
  auto own = dssm::ParseNameRef("arn:aws:ssm:us-east-1:123456789012:parameter/a/b", "us-east-1",
                                "123456789012");
  EXPECT_FALSE(own.foreign);
  EXPECT_EQ(own.name, "/a/b");
  auto shared = dssm::ParseNameRef("arn:aws:ssm:us-east-1:210987654321:parameter/a/b",
                                   "us-east-1", "123456789012");
  EXPECT_TRUE(shared.foreign);
  EXPECT_EQ(shared.account, "210987654321");
  EXPECT_EQ(shared.region, "us-east-1");
  auto elsewhere = dssm::ParseNameRef("arn:aws:ssm:eu-west-1:123456789012:parameter/a",
                                      "us-east-1", "123456789012");
  EXPECT_TRUE(elsewhere.foreign);
  EXPECT_EQ(elsewhere.region, "eu-west-1");
  EXPECT_TRUE(dssm::ParseNameRef("plain", "us-east-1", "123456789012").account.empty());
}
