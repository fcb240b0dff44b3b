// Managed external secrets' rules (domain/secretsmanager/external_secrets.h).
#include "domain/secretsmanager/external_secrets.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

TEST(ExternalSecrets, OnlyTheTypesArcanaRotatesHaveARotator) {
  EXPECT_EQ(ExternalRotatorFor("GitLabAccessToken"), "gitlab-access-token");
  EXPECT_FALSE(ExternalRotatorFor("SalesforceClientSecret"));  // a SaaS partner
  EXPECT_FALSE(ExternalRotatorFor("gitlabaccesstoken"));       // types are case-sensitive
  EXPECT_FALSE(ExternalRotatorFor(""));
  EXPECT_EQ(ExternalRotatorFor("JenkinsApiToken"), "jenkins-api-token");
  EXPECT_EQ(ExternalRotationTypes(), "GitLabAccessToken, JenkinsApiToken");
}

TEST(ExternalSecrets, GitLabMetadataHasTheKeysOfThePartnerPage) {
  const std::string admin = "arn:aws:secretsmanager:us-east-1:123456789012:secret:GitLabAdmin-AbCdEf";
  EXPECT_TRUE(ValidateExternalMetadata("GitLabAccessToken", {}).ok());
  EXPECT_TRUE(ValidateExternalMetadata("GitLabAccessToken",
                                       {{"adminSecretArn", admin}, {"daysToExpiry", "1"}})
                  .ok());
  EXPECT_TRUE(ValidateExternalMetadata("GitLabAccessToken", {{"daysToExpiry", "365"}}).ok());
  for (const char* days : {"0", "366", "-1", "7d", "", " 7", "99999999999999999999"}) {
    auto st = ValidateExternalMetadata("GitLabAccessToken", {{"daysToExpiry", days}});
    EXPECT_EQ(st.code(), ErrorCode::kInvalidParameter) << days;
  }
  for (const char* arn : {"GitLabAdmin", "arn:aws:iam::123456789012:role/r",
                          "arn:aws:secretsmanager:us-east-1:123456789012:other:x"}) {
    EXPECT_EQ(ValidateExternalMetadata("GitLabAccessToken", {{"adminSecretArn", arn}}).code(),
              ErrorCode::kInvalidParameter)
        << arn;
  }
  auto unknown = ValidateExternalMetadata("GitLabAccessToken", {{"apiVersion", "v4"}});
  EXPECT_EQ(unknown.code(), ErrorCode::kInvalidParameter);
  EXPECT_NE(unknown.message().find("adminSecretArn, daysToExpiry"), std::string::npos);
  auto twice = ValidateExternalMetadata("GitLabAccessToken",
                                        {{"daysToExpiry", "3"}, {"daysToExpiry", "4"}});
  EXPECT_NE(twice.message().find("more than once"), std::string::npos);
  EXPECT_EQ(ValidateExternalMetadata("SnowflakePat", {}).code(), ErrorCode::kInvalidParameter);
  // Jenkins's page has no expiry.
  EXPECT_EQ(ValidateExternalMetadata("JenkinsApiToken", {{"daysToExpiry", "3"}}).code(),
            ErrorCode::kInvalidParameter);
  EXPECT_TRUE(ValidateExternalMetadata("JenkinsApiToken", {{"adminSecretArn", admin}}).ok());
}

TEST(ExternalSecrets, MetadataValueFindsAKey) {
  std::vector<MetadataItem> items = {{"a", "1"}, {"b", "2"}};
  EXPECT_EQ(MetadataValue(items, "b"), "2");
  EXPECT_FALSE(MetadataValue(items, "c"));
}

}  // namespace
}  // namespace arcana::domain::sm
