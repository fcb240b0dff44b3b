#include "domain/secretsmanager/names.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

TEST(SmNames, ValidNames) {
  EXPECT_TRUE(ValidateSecretName("prod/db/password").ok());
  EXPECT_TRUE(ValidateSecretName("a_b+c=d.e@f-g").ok());
  EXPECT_TRUE(ValidateSecretName(std::string(512, 'x')).ok());
}

TEST(SmNames, InvalidNames) {
  for (std::string bad : {std::string(), std::string(513, 'x'), std::string("has space"),
                          std::string("colon:x"), std::string("bang!"), std::string("\xc3\xa9")}) {
    Status st = ValidateSecretName(bad);
    // AWS answers ValidationException (recorded), not InvalidParameterException.
    EXPECT_EQ(st.code(), ErrorCode::kValidation) << bad;
    EXPECT_EQ(st.message(),
              "Invalid name. Must be a valid name containing alphanumeric characters, or any of "
              "the following: -/_+=.@!");
  }
}

TEST(SmNames, SecretIdMustBeAValidNameUnlessArn) {
  EXPECT_TRUE(ValidateSecretId("prod/db").ok());
  EXPECT_TRUE(ValidateSecretId("arn:aws:secretsmanager:us-east-1:1:secret:any thing").ok());
  EXPECT_TRUE(ValidateSecretId(std::string(2048, 'x')).ok());
  EXPECT_EQ(ValidateSecretId("Inv Name").code(), ErrorCode::kValidation);
  EXPECT_EQ(ValidateSecretId(" Inv*Name? ").code(), ErrorCode::kValidation);
}

TEST(SmNames, TokenMessages) {
  EXPECT_EQ(MissingClientRequestToken(ErrorCode::kInvalidRequest).message(),
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.");
  Status st = ClientRequestTokenInUse("tok", "arn:x");
  EXPECT_EQ(st.code(), ErrorCode::kResourceExists);
  EXPECT_EQ(st.message(),
            "You can't use ClientRequestToken tok because that value is already in use for a "
            "version of secret arn:x.");
}

TEST(SmNames, ForcedDeleteIdentity) {
  auto zero = [](uint32_t) -> uint32_t { return 0; };
  auto [n1, a1] = ForcedDeleteIdentity("gone/x", "eu-west-1", "123456789012", zero);
  EXPECT_EQ(n1, "gone/x");
  EXPECT_EQ(a1, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone/x-AAAAAA");
  const std::string full = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone/x-Ab12Cd";
  auto [n2, a2] = ForcedDeleteIdentity(full, "eu-west-1", "123456789012", zero);
  EXPECT_EQ(n2, "gone/x");
  EXPECT_EQ(a2, full);
}

TEST(SmNames, MakeAndParseArn) {
  std::string arn = MakeSecretArn("us-east-1", "123456789012", "prod/db", "a1B2c3");
  EXPECT_EQ(arn, "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1B2c3");
  auto parts = ParseSecretArn(arn);
  ASSERT_TRUE(parts.has_value());
  EXPECT_EQ(parts->region, "us-east-1");
  EXPECT_EQ(parts->account, "123456789012");
  EXPECT_EQ(parts->name_with_suffix, "prod/db-a1B2c3");
  auto cn = ParseSecretArn("arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:x");
  ASSERT_TRUE(cn.has_value());
  EXPECT_EQ(cn->name_with_suffix, "x");
}

TEST(SmNames, ParseArnRejects) {
  EXPECT_FALSE(ParseSecretArn("prod/db").has_value());
  EXPECT_FALSE(ParseSecretArn("arn:aws:kms:us-east-1:123456789012:key/abc").has_value());
  EXPECT_FALSE(ParseSecretArn("arn:aws:secretsmanager:us-east-1:123456789012:secret:").has_value());
  EXPECT_FALSE(ParseSecretArn("arn::secretsmanager:us-east-1:1:secret:x").has_value());
  EXPECT_FALSE(ParseSecretArn("arn:aws:secretsmanager:us-east-1:123456789012:other:x").has_value());
}

TEST(SmNames, IsArn) {
  EXPECT_TRUE(IsArn("arn:aws:secretsmanager:r:1:secret:x"));
  EXPECT_FALSE(IsArn("prod/arn"));
}

TEST(SmNames, RandomSuffix) {
  uint32_t n = 0;
  auto counter = [&n](uint32_t bound) { return (n++) % bound; };
  EXPECT_EQ(RandomArnSuffix(counter), "ABCDEF");
  auto last = [](uint32_t bound) { return bound - 1; };
  EXPECT_EQ(RandomArnSuffix(last), "999999");
}

TEST(SmNames, MatchSecretId) {
  const std::string arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-a1b2c3";
  EXPECT_EQ(MatchSecretId("prod/db", arn, "prod/db"), IdMatch::kName);
  EXPECT_EQ(MatchSecretId(arn, arn, "prod/db"), IdMatch::kFullArn);
  EXPECT_EQ(MatchSecretId("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db", arn,
                          "prod/db"),
            IdMatch::kPartialArn);
  EXPECT_EQ(MatchSecretId("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/d", arn,
                          "prod/db"),
            IdMatch::kNone);
  EXPECT_EQ(MatchSecretId("prod/db-a1b2c3", arn, "prod/db"), IdMatch::kNone);
  EXPECT_EQ(MatchSecretId("Prod/db", arn, "prod/db"), IdMatch::kNone);
  EXPECT_EQ(MatchSecretId("", arn, "prod/db"), IdMatch::kNone);
  // A name ending in "-" + six alphanumerics: its partial ARN reads as a complete ARN (suffix
  // "a1b2c3"), so it is no partial match (AWS answered ResourceNotFoundException; API
  // reference on partial ARNs); its full ARN still matches, and "-a1b2c3-" or "-a1b2" do not
  // look like a suffix.
  const std::string pre = "arn:aws:secretsmanager:us-east-1:123456789012:secret:";
  const std::string tricky = pre + "app-a1b2c3-Xy9Zq1";
  EXPECT_EQ(MatchSecretId(pre + "app-a1b2c3", tricky, "app-a1b2c3"), IdMatch::kNone);
  EXPECT_EQ(MatchSecretId(tricky, tricky, "app-a1b2c3"), IdMatch::kFullArn);
  EXPECT_EQ(MatchSecretId(pre + "app-a1b2c3-", pre + "app-a1b2c3--Xy9Zq1", "app-a1b2c3-"),
            IdMatch::kPartialArn);
  EXPECT_EQ(MatchSecretId(pre + "app-a1b2", pre + "app-a1b2-Xy9Zq1", "app-a1b2"),
            IdMatch::kPartialArn);
  EXPECT_TRUE(EndsWithArnSuffix("x-a1B2c3"));
  EXPECT_FALSE(EndsWithArnSuffix("-a1B2c3"));  // nothing before the suffix
  EXPECT_FALSE(EndsWithArnSuffix("x-a1_2c3"));
  EXPECT_FALSE(EndsWithArnSuffix("x-a1b2c"));
  // Another account's ARN never matches.
  EXPECT_EQ(MatchSecretId("arn:aws:secretsmanager:us-east-1:999999999999:secret:prod/db", arn,
                          "prod/db"),
            IdMatch::kNone);
}

TEST(SmNames, ClientRequestToken) {
  EXPECT_TRUE(ValidateClientRequestToken("00000000-0000-0000-0000-000000000001").ok());
  EXPECT_TRUE(ValidateClientRequestToken(std::string(32, 'a')).ok());
  EXPECT_TRUE(ValidateClientRequestToken(std::string(64, 'a')).ok());
  EXPECT_EQ(ValidateClientRequestToken(std::string(31, 'a')).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateClientRequestToken(std::string(65, 'a')).code(), ErrorCode::kInvalidParameter);
}

TEST(SmNames, Tags) {
  using Tags = std::vector<std::pair<std::string, std::string>>;
  EXPECT_TRUE(ValidateTags({}).ok());
  EXPECT_TRUE(ValidateTags(Tags{{"env", ""}, {std::string(128, 'k'), std::string(256, 'v')}}).ok());
  EXPECT_EQ(ValidateTags(Tags{{"", "v"}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateTags(Tags{{std::string(129, 'k'), "v"}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateTags(Tags{{"k", std::string(257, 'v')}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateTags(Tags{{"aws:foo", "v"}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateTags(Tags{{"AWS:foo", "v"}}).code(), ErrorCode::kInvalidParameter);
  EXPECT_TRUE(ValidateTags(Tags{{"awsfoo", "v"}}).ok());
  EXPECT_EQ(ValidateTags(Tags{{"a", "1"}, {"a", "2"}}).code(), ErrorCode::kInvalidParameter);
  Tags many;
  for (int i = 0; i < 50; ++i) many.emplace_back("k" + std::to_string(i), "v");
  EXPECT_TRUE(ValidateTags(many).ok());
  many.emplace_back("k50", "v");
  EXPECT_EQ(ValidateTags(many).code(), ErrorCode::kInvalidParameter);
}

TEST(SmNames, TagKeys) {
  EXPECT_TRUE(ValidateTagKeys({"a", "b"}).ok());
  EXPECT_EQ(ValidateTagKeys({}).code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(ValidateTagKeys({""}).code(), ErrorCode::kInvalidParameter);
}

}  // namespace
}  // namespace arcana::domain::sm
