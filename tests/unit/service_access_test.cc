// Which services and actions identity policies allow, as IAM's last accessed information
// reports them (services/iam/service_access.h): Allow statements' Action and NotAction over
// Arcana's services and their operations, other services by namespace only; Deny, Resource
// and Condition change nothing.
#include "services/iam/service_access.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace arcana::services::iam {
namespace {

std::shared_ptr<const auth::policy::CompiledPolicy> Compile(const std::string& statements) {
  auto p = auth::policy::ParsePolicy(
      R"({"Version":"2012-10-17","Statement":[)" + statements + "]}",
      auth::policy::PolicyUse::kIdentity);
  EXPECT_TRUE(p.ok()) << p.status().message();
  return p.ok() ? *p : nullptr;
}

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(ServiceAccess, TheCatalogNamesArcanasServicesWithTheirOperations) {
  const ServedService* sm = FindServedService("secretsmanager");
  ASSERT_NE(sm, nullptr);
  EXPECT_EQ(sm->name, "AWS Secrets Manager");
  EXPECT_TRUE(std::binary_search(sm->actions.begin(), sm->actions.end(), "GetSecretValue"));
  EXPECT_EQ(ServiceNameOf("iam"), "AWS Identity and Access Management");
  EXPECT_EQ(ServiceNameOf("s3"), "s3");  // not served: its namespace
  EXPECT_EQ(FindServedService("s3"), nullptr);
}

TEST(ServiceAccess, ActionsAndWildcardsAllowServicesDenyAndConditionsDoNot) {
  auto p = Compile(R"({"Effect":"Allow","Action":["secretsmanager:Get*","S3:GetObject"],
                       "Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}},
                      {"Effect":"Deny","Action":"kms:*","Resource":"*"})");
  EXPECT_EQ(Sorted(AllowedServices({p.get()})), (std::vector<std::string>{"s3", "secretsmanager"}));
  EXPECT_TRUE(AllowsService(*p, "secretsmanager"));
  EXPECT_TRUE(AllowsService(*p, "s3"));
  EXPECT_FALSE(AllowsService(*p, "kms"));
  auto actions = AllowedActions({p.get()}, *FindServedService("secretsmanager"));
  EXPECT_EQ(actions, (std::vector<std::string>{"GetRandomPassword", "GetResourcePolicy",
                                               "GetSecretValue"}));
  // "*" allows every served service (and names no other).
  auto all = Compile(R"({"Effect":"Allow","Action":"*","Resource":"*"})");
  EXPECT_EQ(AllowedServices({all.get()}).size(), ServedServices().size());
  EXPECT_TRUE(AllowsService(*all, "dynamodb"));  // asked about by name: a wildcard reaches it
}

TEST(ServiceAccess, NotActionAllowsWhatItDoesNotName) {
  auto p = Compile(R"({"Effect":"Allow","NotAction":["iam:*","kms:Decrypt"],"Resource":"*"})");
  auto allowed = AllowedServices({p.get()});
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), "iam"), 0);
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), "kms"), 1);  // all but Decrypt
  EXPECT_EQ(std::count(allowed.begin(), allowed.end(), "sts"), 1);
  auto kms = AllowedActions({p.get()}, *FindServedService("kms"));
  EXPECT_EQ(std::count(kms.begin(), kms.end(), "Decrypt"), 0);
  EXPECT_EQ(std::count(kms.begin(), kms.end(), "Encrypt"), 1);
  EXPECT_FALSE(AllowsService(*p, "iam"));
  EXPECT_TRUE(AllowsService(*p, "s3"));
}

}  // namespace
}  // namespace arcana::services::iam
