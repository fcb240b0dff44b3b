#include "domain/secretsmanager/password.h"

#include <gtest/gtest.h>

#include <random>
#include <string_view>

namespace arcana::domain::sm {
namespace {

std::function<uint32_t(uint32_t)> Rng(uint32_t seed = 42) {
  auto gen = std::make_shared<std::mt19937>(seed);
  return [gen](uint32_t bound) {
    return std::uniform_int_distribution<uint32_t>(0, bound - 1)(*gen);
  };
}

constexpr std::string_view kPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

bool HasAny(const std::string& s, bool (*pred)(char)) {
  for (char c : s) if (pred(c)) return true;
  return false;
}
bool Up(char c) { return c >= 'A' && c <= 'Z'; }
bool Lo(char c) { return c >= 'a' && c <= 'z'; }
bool Dig(char c) { return c >= '0' && c <= '9'; }
bool Pun(char c) { return kPunct.find(c) != std::string_view::npos; }

TEST(SmPassword, DefaultIs32WithEveryType) {
  auto rng = Rng();
  for (int i = 0; i < 200; ++i) {
    auto p = GenerateRandomPassword({}, rng);
    ASSERT_TRUE(p.ok());
    ASSERT_EQ(p->size(), 32u);
    EXPECT_TRUE(HasAny(*p, Up) && HasAny(*p, Lo) && HasAny(*p, Dig) && HasAny(*p, Pun)) << *p;
    EXPECT_EQ(p->find(' '), std::string::npos);
  }
}

TEST(SmPassword, ShortPasswordStillHasAllFourTypes) {
  auto rng = Rng(7);
  for (int i = 0; i < 500; ++i) {
    PasswordOptions o;
    o.length = 4;
    auto p = GenerateRandomPassword(o, rng);
    ASSERT_TRUE(p.ok());
    EXPECT_TRUE(HasAny(*p, Up) && HasAny(*p, Lo) && HasAny(*p, Dig) && HasAny(*p, Pun)) << *p;
  }
}

TEST(SmPassword, RequireEachFlagFalseRequiresNoType) {
  // AWS: only the switch asks for one of each type; without it lengths 1..3 are valid and
  // a short password is drawn from the whole pool.
  PasswordOptions o;
  o.require_each_included_type = false;
  for (int64_t len = 1; len <= 3; ++len) {
    o.length = len;
    auto p = GenerateRandomPassword(o, Rng(3));
    ASSERT_TRUE(p.ok()) << len;
    EXPECT_EQ(p->size(), static_cast<size_t>(len));
  }
  // With a generator that always picks the first of the pool, nothing forces a digit,
  // punctuation or lowercase in: the password is all 'A'.
  auto zero = [](uint32_t) { return 0u; };
  o.length = 8;
  auto p = GenerateRandomPassword(o, zero);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, "AAAAAAAA");
  o.require_each_included_type = true;
  p = GenerateRandomPassword(o, zero);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(HasAny(*p, Up) && HasAny(*p, Lo) && HasAny(*p, Dig) && HasAny(*p, Pun)) << *p;
}

TEST(SmPassword, TooShortForRequiredTypes) {
  PasswordOptions o;
  o.length = 3;
  auto p = GenerateRandomPassword(o, Rng());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_EQ(p.status().message(), "Password length is too short based on the required types.");
  o.exclude_punctuation = true;
  EXPECT_TRUE(GenerateRandomPassword(o, Rng()).ok());
}

TEST(SmPassword, LengthBounds) {
  PasswordOptions o;
  o.length = 0;
  EXPECT_EQ(GenerateRandomPassword(o, Rng()).status().code(), ErrorCode::kInvalidParameter);
  o.length = -5;
  EXPECT_EQ(GenerateRandomPassword(o, Rng()).status().code(), ErrorCode::kInvalidParameter);
  o.length = 4097;
  EXPECT_EQ(GenerateRandomPassword(o, Rng()).status().code(), ErrorCode::kValidation);
  o.length = 4096;
  auto p = GenerateRandomPassword(o, Rng());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->size(), 4096u);
  o.length = 1;
  o.exclude_lowercase = o.exclude_uppercase = o.exclude_punctuation = true;
  p = GenerateRandomPassword(o, Rng());
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(Dig((*p)[0]));
}

TEST(SmPassword, ExcludeClassesAndCharacters) {
  PasswordOptions o;
  o.length = 200;
  o.exclude_numbers = true;
  o.exclude_punctuation = true;
  o.exclude_characters = "aeiouAEIOU";
  auto p = GenerateRandomPassword(o, Rng(9));
  ASSERT_TRUE(p.ok());
  for (char c : *p) {
    EXPECT_TRUE(Up(c) || Lo(c)) << c;
    EXPECT_EQ(std::string_view("aeiouAEIOU").find(c), std::string_view::npos);
  }
  EXPECT_TRUE(HasAny(*p, Up) && HasAny(*p, Lo));
}

TEST(SmPassword, ClassFullyExcludedByCharactersIsDropped) {
  PasswordOptions o;
  o.length = 3;
  o.exclude_characters = "0123456789";
  auto p = GenerateRandomPassword(o, Rng());
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(HasAny(*p, Dig));
}

TEST(SmPassword, AllClassesExcluded) {
  PasswordOptions o;
  o.exclude_numbers = o.exclude_punctuation = o.exclude_uppercase = o.exclude_lowercase = true;
  o.include_space = true;
  auto p = GenerateRandomPassword(o, Rng());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), ErrorCode::kInvalidParameter);
}

TEST(SmPassword, IncludeSpace) {
  PasswordOptions o;
  o.length = 4096;
  o.include_space = true;
  auto p = GenerateRandomPassword(o, Rng(11));
  ASSERT_TRUE(p.ok());
  EXPECT_NE(p->find(' '), std::string::npos);
  o.exclude_characters = " ";
  p = GenerateRandomPassword(o, Rng(11));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->find(' '), std::string::npos);
}

TEST(SmPassword, RequiredCharactersAreShuffled) {
  // With only two classes and length 2, both orders must appear.
  PasswordOptions o;
  o.length = 2;
  o.exclude_numbers = o.exclude_punctuation = true;
  auto rng = Rng(5);
  bool upper_first = false, lower_first = false;
  for (int i = 0; i < 100; ++i) {
    auto p = GenerateRandomPassword(o, rng);
    ASSERT_TRUE(p.ok());
    upper_first |= Up((*p)[0]);
    lower_first |= Lo((*p)[0]);
  }
  EXPECT_TRUE(upper_first && lower_first);
}

TEST(SmPassword, UsesInjectedRandomness) {
  auto zero = [](uint32_t) { return 0u; };
  PasswordOptions o;
  o.length = 6;
  auto a = GenerateRandomPassword(o, zero);
  auto b = GenerateRandomPassword(o, zero);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

}  // namespace
}  // namespace arcana::domain::sm
