#include <gtest/gtest.h>

#include "domain/ssm/parameter.h"
#include "domain/ssm/service_settings.h"
#include "domain/ssm/values.h"
#include "storage/service_setting_codec.h"

namespace dssm = arcana::domain::ssm;
using arcana::ErrorCode;

namespace {
constexpr const char* kRegion = "us-east-1";
constexpr const char* kAccount = "123456789012";
const std::string kTierArn =
    "arn:aws:ssm:us-east-1:123456789012:servicesetting/ssm/parameter-store/default-parameter-tier";

ErrorCode FindCode(std::string_view id) {
  return dssm::FindServiceSetting(id, kRegion, kAccount).status().code();
}
}  // namespace

TEST(SsmServiceSettings, FindsTheParameterStoreSettingsByIdAndByArn) {
  auto by_id = dssm::FindServiceSetting(dssm::kDefaultParameterTierSetting, kRegion, kAccount);
  ASSERT_TRUE(by_id.ok());
  EXPECT_STREQ((*by_id)->id, dssm::kDefaultParameterTierSetting);
  EXPECT_STREQ((*by_id)->default_value, "Standard");
  auto by_arn = dssm::FindServiceSetting(kTierArn, kRegion, kAccount);
  ASSERT_TRUE(by_arn.ok());
  EXPECT_EQ(*by_arn, *by_id);
  auto throughput = dssm::FindServiceSetting(
      "arn:aws:ssm:us-east-1:123456789012:servicesetting/ssm/parameter-store/"
      "high-throughput-enabled",
      kRegion, kAccount);
  ASSERT_TRUE(throughput.ok());
  EXPECT_STREQ((*throughput)->default_value, "false");
  // Another partition's spelling of the same ARN names the same setting.
  EXPECT_TRUE(dssm::FindServiceSetting("arn:aws-us-gov:ssm:us-east-1:123456789012:servicesetting/"
                                       "ssm/parameter-store/default-parameter-tier",
                                       kRegion, kAccount)
                  .ok());
}

TEST(SsmServiceSettings, UnknownForeignAndMalformedIdsAreNotFound) {
  EXPECT_EQ(FindCode("/ssm/parameter-store/no-such-setting"), ErrorCode::kServiceSettingNotFound);
  EXPECT_EQ(FindCode("ssm/parameter-store/default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);  // an id starts with its slash
  EXPECT_EQ(FindCode("/SSM/parameter-store/default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);  // ids are case-sensitive
  EXPECT_EQ(FindCode("arn:aws:ssm:eu-west-1:123456789012:servicesetting/ssm/parameter-store/"
                     "default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);  // another region
  EXPECT_EQ(FindCode("arn:aws:ssm:us-east-1:999999999999:servicesetting/ssm/parameter-store/"
                     "default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);  // another account
  EXPECT_EQ(FindCode("arn:aws:kms:us-east-1:123456789012:servicesetting/ssm/parameter-store/"
                     "default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);
  EXPECT_EQ(FindCode("arn:aws:ssm:us-east-1:123456789012:parameter/ssm/parameter-store/"
                     "default-parameter-tier"),
            ErrorCode::kServiceSettingNotFound);
  EXPECT_EQ(FindCode("arn:aws:ssm:us-east-1"), ErrorCode::kServiceSettingNotFound);
  auto unknown = dssm::FindServiceSetting("/ssm/nope", kRegion, kAccount);
  EXPECT_EQ(unknown.status().message(),
            "The specified service setting wasn't found. Either the service name or the setting "
            "hasn't been provisioned by the AWS service team.");
}

TEST(SsmServiceSettings, DocumentedSettingsOutsideParameterStoreAreRefusedSayingWhy) {
  auto s = dssm::FindServiceSetting("/ssm/managed-instance/activation-tier", kRegion, kAccount);
  ASSERT_EQ(s.status().code(), ErrorCode::kServiceSettingNotFound);
  EXPECT_NE(s.status().message().find("serves only the Parameter Store settings"),
            std::string::npos)
      << s.status().message();
  EXPECT_EQ(FindCode("/ssm/opsinsights/opscenter"), ErrorCode::kServiceSettingNotFound);
}

TEST(SsmServiceSettings, ValuesAreTheDocumentedOnesSpelledExactly) {
  auto tier = *dssm::FindServiceSetting(dssm::kDefaultParameterTierSetting, kRegion, kAccount);
  EXPECT_TRUE(dssm::CheckServiceSettingValue(*tier, "Standard").ok());
  EXPECT_TRUE(dssm::CheckServiceSettingValue(*tier, "Advanced").ok());
  EXPECT_TRUE(dssm::CheckServiceSettingValue(*tier, "Intelligent-Tiering").ok());
  auto bad = dssm::CheckServiceSettingValue(*tier, "advanced");
  EXPECT_EQ(bad.code(), ErrorCode::kValidation);
  EXPECT_EQ(bad.message(),
            "The value advanced is not valid for the service setting "
            "/ssm/parameter-store/default-parameter-tier. Valid values: Standard, Advanced or "
            "Intelligent-Tiering.");
  auto throughput = *dssm::FindServiceSetting(dssm::kHighThroughputSetting, kRegion, kAccount);
  EXPECT_TRUE(dssm::CheckServiceSettingValue(*throughput, "true").ok());
  EXPECT_TRUE(dssm::CheckServiceSettingValue(*throughput, "false").ok());
  EXPECT_EQ(dssm::CheckServiceSettingValue(*throughput, "yes").code(), ErrorCode::kValidation);
}

TEST(SsmServiceSettings, DefaultStateAndArn) {
  auto tier = *dssm::FindServiceSetting(dssm::kDefaultParameterTierSetting, kRegion, kAccount);
  auto s = dssm::DefaultServiceSettingState(*tier);
  EXPECT_EQ(s.id, dssm::kDefaultParameterTierSetting);
  EXPECT_EQ(s.value, "Standard");
  EXPECT_EQ(s.status, "Default");
  EXPECT_EQ(s.modified_user, "System");
  EXPECT_EQ(s.modified_ms, 0);
  EXPECT_EQ(dssm::ServiceSettingArn(kRegion, kAccount, dssm::kDefaultParameterTierSetting),
            kTierArn);
}

TEST(SsmServiceSettings, DefaultTierAppliesOnlyWhenTheRequestNamesNone) {
  EXPECT_EQ(dssm::TierToApply("Standard", "Advanced"), "Standard");
  EXPECT_EQ(dssm::TierToApply("", "Advanced"), "Advanced");
  EXPECT_EQ(dssm::TierToApply("", "Intelligent-Tiering"), "Intelligent-Tiering");
  EXPECT_EQ(dssm::TierToApply("", "Standard"), "");
  EXPECT_EQ(dssm::TierToApply("", ""), "");
  // Default Advanced: a new parameter is Advanced; an existing Standard one is upgraded.
  EXPECT_EQ(*dssm::ResolveTier(dssm::TierToApply("", "Advanced"), "", 10, false), "Advanced");
  EXPECT_EQ(*dssm::ResolveTier(dssm::TierToApply("", "Advanced"), "Standard", 10, false),
            "Advanced");
  // Default Intelligent-Tiering: Standard unless the value or policies need Advanced.
  EXPECT_EQ(*dssm::ResolveTier(dssm::TierToApply("", "Intelligent-Tiering"), "", 10, false),
            "Standard");
  EXPECT_EQ(*dssm::ResolveTier(dssm::TierToApply("", "Intelligent-Tiering"), "", 5000, false),
            "Advanced");
  // Default Standard never downgrades an Advanced parameter overwritten without a Tier.
  EXPECT_EQ(*dssm::ResolveTier(dssm::TierToApply("", "Standard"), "Advanced", 10, false),
            "Advanced");
}

TEST(SsmServiceSettings, StoredStateRoundTripsAndKeysAreScopedInTheWipeRange) {
  dssm::ServiceSettingState s{dssm::kDefaultParameterTierSetting, "Advanced", "Customized",
                              1700000000123, "arn:aws:iam::123456789012:user/ops"};
  auto back = arcana::storage::DecodeServiceSetting(arcana::storage::EncodeServiceSetting(s));
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->id, s.id);
  EXPECT_EQ(back->value, s.value);
  EXPECT_EQ(back->status, s.status);
  EXPECT_EQ(back->modified_ms, s.modified_ms);
  EXPECT_EQ(back->modified_user, s.modified_user);
  EXPECT_FALSE(arcana::storage::DecodeServiceSetting("{").ok());
  EXPECT_FALSE(arcana::storage::DecodeServiceSetting("{}").ok());

  const std::string key = arcana::storage::ServiceSettingMetaKey(
      {kAccount, kRegion}, dssm::kDefaultParameterTierSetting);
  EXPECT_EQ(key, "ssm.service-setting/123456789012/us-east-1/ssm/parameter-store/"
                 "default-parameter-tier");
  EXPECT_GE(key, arcana::storage::kServiceSettingMetaPrefix);
  EXPECT_LT(key, arcana::storage::kServiceSettingMetaEnd);
  EXPECT_NE(key, arcana::storage::ServiceSettingMetaKey({kAccount, "eu-west-1"},
                                                        dssm::kDefaultParameterTierSetting));
}
