// Envelope encryption: per-version data keys, context binding, tampering.
#include <gtest/gtest.h>

#include "crypto/aead.h"
#include "crypto/envelope.h"
#include "crypto/random.h"

namespace arcana::crypto {
namespace {

TEST(Envelope, RoundTripAndContextBinding) {
  RootKey root = RootKey::FromBytes(RandomBytes(32));
  RootKeyDataKeyProvider keys(root);
  KeyScope scope{"123456789012", "us-east-1", "alias/aws/secretsmanager"};
  EncryptionContext ctx{{"SecretARN", "arn:x"}, {"SecretVersionId", "v1"}};
  auto sealed = SealValue(keys, scope, "", ctx, "hunter2");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->find("hunter2"), std::string::npos);
  auto plain = OpenValue(keys, scope, ctx, *sealed);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "hunter2");
  EncryptionContext other{{"SecretARN", "arn:x"}, {"SecretVersionId", "v2"}};
  EXPECT_EQ(OpenValue(keys, scope, other, *sealed).status().code(), ErrorCode::kDecryptionFailure);
  // Two seals of one value differ (fresh data key and nonce each time).
  EXPECT_NE(*SealValue(keys, scope, "", ctx, "hunter2"), *sealed);
}

// Parameter Store binds each value to its version (defect 6); values sealed before that
// (format 1) open with the caller's legacy context, new ones (format 2) only with the full one.
TEST(Envelope, LegacyContextOnlyForFormat1Values) {
  RootKey root = RootKey::FromBytes(RandomBytes(32));
  RootKeyDataKeyProvider keys(root);
  KeyScope scope{"123456789012", "us-east-1", "alias/aws/ssm"};
  EncryptionContext legacy{{"PARAMETER_ARN", "arn:p"}};
  EncryptionContext v1{{"PARAMETER_ARN", "arn:p"}, {"PARAMETER_VERSION", "1"}};
  EncryptionContext v2{{"PARAMETER_ARN", "arn:p"}, {"PARAMETER_VERSION", "2"}};
  auto sealed = SealValue(keys, scope, "", v1, "one");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(ValueFormat(*sealed), kValueFormatV2);
  EXPECT_EQ(*OpenValue(keys, scope, v1, *sealed, &legacy), "one");
  // Copied to version 2's row: fails, even though the legacy context would match.
  EXPECT_FALSE(OpenValue(keys, scope, v2, *sealed, &legacy).ok());
  // Relabelled as format 1 to reach the legacy rule: the format byte is authenticated.
  std::string downgraded = *sealed;
  downgraded[0] = static_cast<char>(kValueFormatV1);
  EXPECT_FALSE(OpenValue(keys, scope, v2, downgraded, &v1).ok());
  EXPECT_FALSE(OpenValue(keys, scope, v2, downgraded, &legacy).ok());
  // A format 1 value sealed under the legacy context (as earlier releases wrote it).
  auto dk = keys.GenerateDataKey(scope, "", legacy);
  ASSERT_TRUE(dk.ok());
  std::string old(1, static_cast<char>(kValueFormatV1));
  old += std::string("\0\0", 2);
  old.push_back(static_cast<char>(dk->wrapped.size() >> 8));
  old.push_back(static_cast<char>(dk->wrapped.size() & 0xff));
  old += dk->wrapped;
  old += *AeadSeal(dk->plaintext, "old value", old + CanonicalContext(legacy));
  EXPECT_EQ(*OpenValue(keys, scope, v2, old, &legacy), "old value");
  EXPECT_FALSE(OpenValue(keys, scope, v2, old).ok());  // no legacy context given
}

TEST(Envelope, EveryFlippedByteFailsCleanly) {
  RootKey root = RootKey::FromBytes(RandomBytes(32));
  RootKeyDataKeyProvider keys(root);
  KeyScope scope{"1", "r", ""};
  EncryptionContext ctx{{"a", "b"}};
  std::string sealed = *SealValue(keys, scope, "k", ctx, "value");
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] ^= 0x01;
    EXPECT_FALSE(OpenValue(keys, scope, ctx, bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(OpenValue(keys, scope, ctx, "").ok());
  EXPECT_FALSE(OpenValue(keys, scope, ctx, sealed.substr(0, 10)).ok());
}

TEST(Envelope, CanonicalContextIsUnambiguous) {
  EXPECT_NE(CanonicalContext({{"ab", "c"}}), CanonicalContext({{"a", "bc"}}));
  EXPECT_EQ(CanonicalContext({{"b", "2"}, {"a", "1"}}), CanonicalContext({{"a", "1"}, {"b", "2"}}));
}

TEST(Envelope, WrongRootKeyCannotOpen) {
  RootKey r1 = RootKey::FromBytes(RandomBytes(32));
  RootKey r2 = RootKey::FromBytes(RandomBytes(32));
  RootKeyDataKeyProvider k1(r1), k2(r2);
  KeyScope scope{"1", "r", ""};
  std::string sealed = *SealValue(k1, scope, "", {}, "v");
  EXPECT_FALSE(OpenValue(k2, scope, {}, sealed).ok());
}

}  // namespace
}  // namespace arcana::crypto
