// Shamir's secret sharing over GF(2^8) (crypto/shamir.h).
#include "crypto/shamir.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "crypto/random.h"

namespace arcana::crypto {
namespace {

// Reference multiplication: schoolbook carry-less product reduced by x^8+x^4+x^3+x+1.
uint8_t SlowMul(uint8_t a, uint8_t b) {
  unsigned p = 0;
  for (int i = 0; i < 8; ++i)
    if (b & (1 << i)) p ^= static_cast<unsigned>(a) << i;
  for (int i = 14; i >= 8; --i)
    if (p & (1u << i)) p ^= 0x11bu << (i - 8);
  return static_cast<uint8_t>(p);
}

TEST(Gf256, FieldAxioms) {
  for (int a = 0; a < 256; ++a) {
    EXPECT_EQ(gf256::Add(a, a), 0);
    EXPECT_EQ(gf256::Mul(a, 1), a);
    EXPECT_EQ(gf256::Mul(a, 0), 0);
    for (int b = 0; b < 256; ++b) {
      ASSERT_EQ(gf256::Mul(a, b), SlowMul(a, b)) << a << "*" << b;
      ASSERT_EQ(gf256::Mul(a, b), gf256::Mul(b, a));
    }
    if (a != 0) {
      EXPECT_EQ(gf256::Mul(a, gf256::Inv(a)), 1) << a;
      EXPECT_EQ(gf256::Div(gf256::Mul(a, 0x53), a), 0x53);
    }
  }
  EXPECT_EQ(gf256::Inv(0), 0);
  EXPECT_EQ(gf256::Mul(0x53, 0xCA), 0x01);  // the AES field's classic inverse pair
  EXPECT_EQ(gf256::Mul(0x57, 0x83), 0xC1);  // FIPS-197 example
  // Distributivity and associativity on a sample.
  for (int i = 0; i < 2000; ++i) {
    std::string r = RandomBytes(3);
    uint8_t a = r[0], b = r[1], c = r[2];
    EXPECT_EQ(gf256::Mul(a, gf256::Add(b, c)), gf256::Add(gf256::Mul(a, b), gf256::Mul(a, c)));
    EXPECT_EQ(gf256::Mul(gf256::Mul(a, b), c), gf256::Mul(a, gf256::Mul(b, c)));
  }
}

TEST(Shamir, EveryThresholdSubsetReconstructs) {
  std::string secret = RandomBytes(32);
  auto shares = ShamirSplit(secret, 5, 3);
  ASSERT_TRUE(shares.ok());
  ASSERT_EQ(shares->size(), 5u);
  // All 10 subsets of 3, in every order, and every subset of 4 and 5.
  for (int mask = 0; mask < 32; ++mask) {
    std::vector<Share> pick;
    for (int i = 0; i < 5; ++i)
      if (mask & (1 << i)) pick.push_back((*shares)[i]);
    if (pick.size() < 3) continue;
    auto got = ShamirCombine(pick);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, secret) << "subset mask " << mask;
    std::reverse(pick.begin(), pick.end());
    EXPECT_EQ(*ShamirCombine(pick), secret);
  }
}

TEST(Shamir, FewerSharesGiveAnUnrelatedValue) {
  std::string secret = RandomBytes(32);
  auto shares = ShamirSplit(secret, 5, 3);
  ASSERT_TRUE(shares.ok());
  for (int i = 0; i < 5; ++i) {
    for (int j = i + 1; j < 5; ++j) {
      auto got = ShamirCombine({(*shares)[i], (*shares)[j]});
      ASSERT_TRUE(got.ok());
      EXPECT_NE(*got, secret);
    }
  }
}

TEST(Shamir, TwoSharesAreConsistentWithEverySecretByte) {
  // Perfect secrecy, checked exhaustively for one byte with threshold 3: for fixed shares at
  // x=1 and x=2, each candidate secret byte has exactly 256 polynomials (a1, a2) matching.
  const uint8_t y1 = 0x37, y2 = 0xC4;
  for (int s = 0; s < 256; ++s) {
    int matches = 0;
    for (int a1 = 0; a1 < 256; ++a1) {
      // f(1) = s + a1 + a2 = y1 -> a2 = y1 ^ s ^ a1; then check f(2).
      uint8_t a2 = y1 ^ s ^ a1;
      uint8_t f2 = s ^ gf256::Mul(a1, 2) ^ gf256::Mul(a2, gf256::Mul(2, 2));
      if (f2 == y2) ++matches;
    }
    EXPECT_EQ(matches, 1) << "secret byte " << s;  // one (a1,a2) per s: all s equally likely
  }
}

TEST(Shamir, SharesOfOneByteLookUniform) {
  // Single shares carry no information: over many splits of a fixed secret, a share's byte
  // takes (nearly) every value.
  std::set<int> seen;
  for (int i = 0; i < 4000; ++i) seen.insert(static_cast<uint8_t>((*ShamirSplit("A", 3, 2))[0].y[0]));
  EXPECT_GT(seen.size(), 250u);
}

TEST(Shamir, CorruptedShareIsDetected) {
  std::string secret = RandomBytes(32);
  auto shares = ShamirSplit(secret, 5, 3);
  ASSERT_TRUE(shares.ok());
  std::string text = EncodeShare((*shares)[1]);
  ASSERT_EQ(text.rfind("arcs1-", 0), 0u);
  auto back = DecodeShare(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->index, 2);
  EXPECT_EQ(back->y, (*shares)[1].y);
  EXPECT_TRUE(DecodeShare(" " + text + "\n").ok());  // pasted with whitespace

  // A changed character fails the checksum; truncation and junk are malformed.
  std::string bad = text;
  size_t pos = bad.size() / 2;
  bad[pos] = bad[pos] == 'A' ? 'B' : 'A';
  auto r = DecodeShare(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidParameter);
  EXPECT_FALSE(DecodeShare(text.substr(0, text.size() - 3)).ok());
  EXPECT_FALSE(DecodeShare("hello").ok());
  EXPECT_FALSE(DecodeShare("").ok());

  // A share whose bytes were altered (but re-encoded) combines to a wrong secret.
  Share tampered = (*shares)[0];
  tampered.y[5] ^= 0x01;
  auto wrong = ShamirCombine({tampered, (*shares)[1], (*shares)[2]});
  ASSERT_TRUE(wrong.ok());
  EXPECT_NE(*wrong, secret);
}

TEST(Shamir, RejectsBadParametersAndInputs) {
  EXPECT_FALSE(ShamirSplit("", 5, 3).ok());
  EXPECT_FALSE(ShamirSplit("x", 3, 4).ok());
  EXPECT_FALSE(ShamirSplit("x", 256, 3).ok());
  EXPECT_FALSE(ShamirSplit("x", 5, 0).ok());
  EXPECT_FALSE(ShamirSplit("x", 5, 1).ok());  // every share would be the secret
  EXPECT_TRUE(ShamirSplit("x", 1, 1).ok());
  EXPECT_TRUE(ShamirSplit(RandomBytes(32), 255, 255).ok());

  auto shares = ShamirSplit(RandomBytes(16), 3, 2);
  ASSERT_TRUE(shares.ok());
  EXPECT_FALSE(ShamirCombine({}).ok());
  EXPECT_FALSE(ShamirCombine({(*shares)[0], (*shares)[0]}).ok());  // duplicate
  Share shorter = (*shares)[1];
  shorter.y.pop_back();
  EXPECT_FALSE(ShamirCombine({(*shares)[0], shorter}).ok());
  Share zero = (*shares)[1];
  zero.index = 0;
  EXPECT_FALSE(ShamirCombine({(*shares)[0], zero}).ok());
}

TEST(Shamir, LargeThresholds) {
  std::string secret = RandomBytes(32);
  auto shares = ShamirSplit(secret, 20, 12);
  ASSERT_TRUE(shares.ok());
  std::vector<Share> pick(shares->begin() + 8, shares->end());  // the last 12
  EXPECT_EQ(*ShamirCombine(pick), secret);
  pick.pop_back();
  EXPECT_NE(*ShamirCombine(pick), secret);
}

}  // namespace
}  // namespace arcana::crypto
