// IAM console passwords: the account policy's rules and AWS's default ones, in AWS's words
// (domain/iam/password_policy.h), and their scrypt hashes (crypto/password_hash.h).
#include <gtest/gtest.h>

#include "crypto/password_hash.h"
#include "domain/iam/password_policy.h"

namespace arcana {
namespace {

using domain::iam::PasswordPolicy;
using domain::iam::PasswordViolation;

TEST(PasswordPolicy, DefaultRulesAreEightCharactersOfThreeKinds) {
  // Recorded on accounts without a policy.
  EXPECT_EQ(PasswordViolation(std::nullopt, "Ab1!"), "Password should have a minimum length of 8");
  EXPECT_EQ(PasswordViolation(std::nullopt, "abcdefgh12"),
            "Password should meet 1 more of the following requirements: Password should have "
            "at least one uppercase letter, Password should have at least one symbol");
  EXPECT_EQ(PasswordViolation(std::nullopt, "password"),
            "Password should meet 2 more of the following requirements: Password should have "
            "at least one uppercase letter, Password should have at least one number, Password "
            "should have at least one symbol");
  EXPECT_EQ(PasswordViolation(std::nullopt, "abcdefgh1A"), std::nullopt);
  EXPECT_EQ(PasswordViolation(std::nullopt, "abcdefgh!A"), std::nullopt);
}

TEST(PasswordPolicy, APolicyNamesItsFirstBrokenRule) {
  PasswordPolicy p;
  p.minimum_length = 32;
  p.require_uppercase = p.require_lowercase = p.require_numbers = p.require_symbols = true;
  // Recorded: the length first, though every kind is there.
  EXPECT_EQ(PasswordViolation(p, "Aa1!"), "Password should have a minimum length of 32");
  p.minimum_length = 6;
  EXPECT_EQ(PasswordViolation(p, "aaaaaa1!"), "Password should have at least one uppercase letter");
  EXPECT_EQ(PasswordViolation(p, "AAAAAA1!"), "Password should have at least one lowercase letter");
  EXPECT_EQ(PasswordViolation(p, "AAAaaa!!"), "Password should have at least one number");
  EXPECT_EQ(PasswordViolation(p, "AAAaaa11"), "Password should have at least one symbol");
  EXPECT_EQ(PasswordViolation(p, "AAAaa1|"), std::nullopt);
  // A policy is not AWS's default: a weak one lets a weak password through.
  EXPECT_EQ(PasswordViolation(PasswordPolicy{}, "password"), std::nullopt);
}

TEST(PasswordPolicy, MaxAgeSetsWhenAPasswordExpires) {
  PasswordPolicy p;
  EXPECT_EQ(domain::iam::PasswordExpiresMs(p, 1000), 0);
  p.max_age = 90;
  EXPECT_EQ(domain::iam::PasswordExpiresMs(p, 1000), 1000 + 90LL * 86400 * 1000);
  EXPECT_EQ(domain::iam::PasswordExpiresMs(std::nullopt, 1000), 0);
}

TEST(PasswordHash, VerifiesOnlyThePasswordItWasMadeFrom) {
  auto stored = crypto::HashPassword("Correct-Horse-9");
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(stored->starts_with("scrypt$16384$8$1$"));
  EXPECT_EQ(stored->find("Correct-Horse-9"), std::string::npos);
  EXPECT_TRUE(crypto::VerifyPassword("Correct-Horse-9", *stored));
  EXPECT_FALSE(crypto::VerifyPassword("Correct-Horse-8", *stored));
  EXPECT_NE(*crypto::HashPassword("Correct-Horse-9"), *stored);  // salted
  for (const char* bad : {"", "scrypt$1$1$1$AAAA$AAAA", "md5$x", "scrypt$99999999$8$1$AA==$AA==",
                          "scrypt$16384$8$1$not-base64$AA=="}) {
    EXPECT_FALSE(crypto::VerifyPassword("x", bad)) << bad;
  }
}

}  // namespace
}  // namespace arcana
