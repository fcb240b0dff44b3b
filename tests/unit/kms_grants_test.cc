// KMS grant tokens and principals (domain/kms/grants.h): a retried CreateGrant's reissued
// tokens verify against the grant's stored token and no other's; the account of a principal
// ARN (ListRetirableGrants authorizes the retiring principal as a resource of its account).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "crypto/base64.h"
#include "domain/kms/grants.h"

namespace arcana::domain::kms {
namespace {

constexpr const char* kArn =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";

TEST(KmsGrantTokens, ReissuedTokensAreNewAndVerifyAgainstTheStoredOne) {
  const std::string id = NewGrantId();
  const std::string stored = NewGrantToken(kArn, id);
  EXPECT_TRUE(GrantTokenMatches(stored, stored));
  auto a = ReissueGrantToken(stored, kArn);
  auto b = ReissueGrantToken(stored, kArn);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  EXPECT_NE(*a, stored);
  EXPECT_TRUE(GrantTokenMatches(*a, stored));
  EXPECT_TRUE(GrantTokenMatches(*b, stored));
  auto parts = ParseGrantToken(*a);
  ASSERT_TRUE(parts);
  EXPECT_TRUE(parts->reissued);
  EXPECT_EQ(parts->grant_id, id);
  EXPECT_EQ(parts->key_arn, kArn);
  // Another grant of the same id's stored token (other randomness) verifies none of them; a
  // reissued token is never a stored one, and is not reissued again.
  const std::string other = NewGrantToken(kArn, id);
  EXPECT_FALSE(GrantTokenMatches(*a, other));
  EXPECT_FALSE(GrantTokenMatches(stored, *a));
  EXPECT_FALSE(ReissueGrantToken(*a, kArn));
  // A tag changed in one digit fails; so does a gt3 token whose secret is not nonce + tag.
  auto raw = crypto::Base64UrlDecode(*a);
  ASSERT_TRUE(raw);
  std::string text = *raw;
  size_t tag_end = text.find(':', 4 + 64 + 1);
  ASSERT_NE(tag_end, std::string::npos);
  text[tag_end - 1] = text[tag_end - 1] == '0' ? '1' : '0';
  EXPECT_FALSE(GrantTokenMatches(crypto::Base64UrlEncode(text), stored));
  EXPECT_FALSE(ParseGrantToken(crypto::Base64UrlEncode("gt3:" + id + ":abc:" + kArn)));
}

TEST(KmsGrantPrincipals, AccountOfAPrincipalArn) {
  for (const char* arn : {"arn:aws:iam::111122223333:role/app", "arn:aws:iam::111122223333:root",
                          "arn:aws:sts::111122223333:assumed-role/app/s"}) {
    EXPECT_EQ(PrincipalAccount(arn).value_or(""), "111122223333") << arn;
  }
  EXPECT_FALSE(PrincipalAccount("acm.us-east-2.amazonaws.com"));
  EXPECT_FALSE(PrincipalAccount("arn:aws:s3:::bucket"));
  EXPECT_FALSE(PrincipalAccount("arn:aws:iam::12345:user/u"));
  EXPECT_FALSE(PrincipalAccount("arn:aws:iam::111122223333:"));
}

TEST(KmsGrantConstraints, OneConstraintOfUpToEightPairsAndValuesOf384Characters) {
  using Map = std::map<std::string, std::string>;
  Map none, eight, nine, long_ok, long_utf8_ok, too_long;
  for (int i = 0; i < 8; ++i) eight["k" + std::to_string(i)] = "v";
  nine = eight;
  nine["k8"] = "v";
  long_ok["k"] = std::string(384, 'v');
  for (int i = 0; i < 384; ++i) long_utf8_ok["k"] += "\xc3\xa9";  // 384 characters, 768 bytes
  too_long["k"] = std::string(385, 'v');
  EXPECT_TRUE(CheckGrantConstraints(nullptr, nullptr).ok());
  for (const Map* m : {&none, &eight, &long_ok, &long_utf8_ok}) {
    EXPECT_TRUE(CheckGrantConstraints(m, nullptr).ok());
    EXPECT_TRUE(CheckGrantConstraints(nullptr, m).ok());
  }
  for (const Map* m : {&nine, &too_long}) {
    EXPECT_EQ(CheckGrantConstraints(m, nullptr).code(), ErrorCode::kValidation);
    EXPECT_EQ(CheckGrantConstraints(nullptr, m).code(), ErrorCode::kValidation);
  }
  // Both members, even an empty one: AWS's "More than one constraint supplied".
  Status both = CheckGrantConstraints(&none, &eight);
  EXPECT_EQ(both.code(), ErrorCode::kValidation);
  EXPECT_EQ(both.message(), "More than one constraint supplied");
}

}  // namespace
}  // namespace arcana::domain::kms
