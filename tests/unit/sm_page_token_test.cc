#include "domain/secretsmanager/page_token.h"

#include <gtest/gtest.h>

namespace arcana::domain::sm {
namespace {

constexpr std::string_view kKey = "0123456789abcdef0123456789abcdef";

TEST(SmPageToken, RoundTrip) {
  for (std::string cursor : {std::string("name:prod/db"), std::string(), std::string("\x00\xff\n", 3),
                             std::string(1000, 'c')}) {
    std::string tok = EncodePageToken(kKey, "ListSecrets", cursor);
    EXPECT_EQ(tok.find_first_of("+/= \n"), std::string::npos) << tok;
    auto got = DecodePageToken(kKey, "ListSecrets", tok);
    ASSERT_TRUE(got.ok()) << tok;
    EXPECT_EQ(*got, cursor);
  }
}

TEST(SmPageToken, OtherOpOrKeyFails) {
  std::string tok = EncodePageToken(kKey, "ListSecrets", "cursor-1");
  auto other_op = DecodePageToken(kKey, "ListSecretVersionIds", tok);
  ASSERT_FALSE(other_op.ok());
  EXPECT_EQ(other_op.status().code(), ErrorCode::kInvalidNextToken);
  EXPECT_EQ(other_op.status().message(), "Invalid NextToken");
  EXPECT_FALSE(DecodePageToken("another key", "ListSecrets", tok).ok());
}

TEST(SmPageToken, TamperedFails) {
  std::string tok = EncodePageToken(kKey, "ListSecrets", "cursor-1");
  for (size_t i = 0; i < tok.size(); ++i) {
    if (tok[i] == '.') continue;
    std::string t = tok;
    t[i] = t[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(DecodePageToken(kKey, "ListSecrets", t).ok()) << i;
  }
  // Swapped cursor with a valid-looking MAC of another cursor.
  std::string a = EncodePageToken(kKey, "ListSecrets", "a");
  std::string b = EncodePageToken(kKey, "ListSecrets", "b");
  std::string mixed = a.substr(0, a.find('.')) + b.substr(b.find('.'));
  EXPECT_FALSE(DecodePageToken(kKey, "ListSecrets", mixed).ok());
}

TEST(SmPageToken, GarbageFails) {
  for (std::string bad : {std::string(), std::string("."), std::string("abc"), std::string("a.b.c"),
                          std::string("!!.??"), std::string(5000, 'A')}) {
    auto r = DecodePageToken(kKey, "ListSecrets", bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidNextToken);
  }
}

}  // namespace
}  // namespace arcana::domain::sm
