// KMS symmetric ciphertext format: round trips, context binding, and that a flipped bit
// at any position of the blob fails cleanly.
#include <gtest/gtest.h>

#include "crypto/kms_ciphertext.h"
#include "crypto/random.h"

namespace arcana::crypto {
namespace {

const std::string kKeyId = "1234abcd-12ab-34cd-56ef-1234567890ab";

TEST(KmsCiphertext, RoundTripAndHeader) {
  std::string material = RandomBytes(32);
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  EncryptionContext ctx{{"purpose", "test"}, {"a", "b"}};
  auto blob = KmsSymmetricEncrypt(material, kKeyId, mid, ctx, "hello kms");
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->size(), 9 + 62 + kKeyId.size());
  EXPECT_EQ(static_cast<unsigned char>((*blob)[0]), kKmsCiphertextFormatV1);
  KmsCiphertextHeader h;
  ASSERT_TRUE(ParseKmsCiphertextHeader(*blob, &h));
  EXPECT_EQ(h.key_id, kKeyId);
  EXPECT_EQ(h.material_id, mid);
  auto plain = KmsSymmetricDecrypt(material, *blob, ctx);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "hello kms");
  // Two encryptions of the same plaintext differ (fresh nonce).
  auto blob2 = KmsSymmetricEncrypt(material, kKeyId, mid, ctx, "hello kms");
  EXPECT_NE(*blob, *blob2);
}

TEST(KmsCiphertext, ContextMismatchFails) {
  std::string material = RandomBytes(32);
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  EncryptionContext ctx{{"k", "v"}};
  auto blob = KmsSymmetricEncrypt(material, kKeyId, mid, ctx, "x");
  ASSERT_TRUE(blob.ok());
  EXPECT_FALSE(KmsSymmetricDecrypt(material, *blob, {}).ok());
  EXPECT_FALSE(KmsSymmetricDecrypt(material, *blob, {{"k", "V"}}).ok());
  EXPECT_FALSE(KmsSymmetricDecrypt(material, *blob, {{"k", "v"}, {"extra", ""}}).ok());
  EXPECT_FALSE(KmsSymmetricDecrypt(material, *blob, {{"K", "v"}}).ok());
  EXPECT_TRUE(KmsSymmetricDecrypt(material, *blob, {{"k", "v"}}).ok());
  // Empty and absent contexts are the same.
  auto b2 = KmsSymmetricEncrypt(material, kKeyId, mid, {}, "x");
  EXPECT_TRUE(KmsSymmetricDecrypt(material, *b2, EncryptionContext{}).ok());
}

TEST(KmsCiphertext, WrongKeyFails) {
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  auto blob = KmsSymmetricEncrypt(RandomBytes(32), kKeyId, mid, {}, "secret");
  ASSERT_TRUE(blob.ok());
  auto r = KmsSymmetricDecrypt(RandomBytes(32), *blob, {});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kDecryptionFailure);
}

TEST(KmsCiphertext, EveryBitFlipFailsCleanly) {
  std::string material = RandomBytes(32);
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  EncryptionContext ctx{{"SecretARN", "arn:x"}};
  auto blob = KmsSymmetricEncrypt(material, kKeyId, mid, ctx, "the plaintext");
  ASSERT_TRUE(blob.ok());
  for (size_t i = 0; i < blob->size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string t = *blob;
      t[i] = static_cast<char>(t[i] ^ (1 << bit));
      auto r = KmsSymmetricDecrypt(material, t, ctx);
      ASSERT_FALSE(r.ok()) << "byte " << i << " bit " << bit;
      EXPECT_EQ(r.status().code(), ErrorCode::kDecryptionFailure);
      EXPECT_EQ(r.status().message().find("the plaintext"), std::string::npos);
    }
  }
}

TEST(KmsCiphertext, TruncationAndGarbageFail) {
  std::string material = RandomBytes(32);
  auto blob = KmsSymmetricEncrypt(material, kKeyId, RandomBytes(32), {}, "abc");
  ASSERT_TRUE(blob.ok());
  for (size_t n = 0; n < blob->size(); ++n) {
    EXPECT_FALSE(KmsSymmetricDecrypt(material, blob->substr(0, n), {}).ok()) << n;
  }
  EXPECT_FALSE(KmsSymmetricDecrypt(material, *blob + "x", {}).ok());
  KmsCiphertextHeader h;
  EXPECT_FALSE(ParseKmsCiphertextHeader("", &h));
  EXPECT_FALSE(ParseKmsCiphertextHeader(std::string(200, 'A'), &h));
}

TEST(KmsCiphertext, RejectsBadIdentifiers) {
  EXPECT_FALSE(KmsSymmetricEncrypt(RandomBytes(32), "", RandomBytes(32), {}, "x").ok());
  EXPECT_FALSE(KmsSymmetricEncrypt(RandomBytes(32), kKeyId, "short", {}, "x").ok());
  EXPECT_FALSE(KmsSymmetricEncrypt(RandomBytes(32), std::string(65, 'a'), RandomBytes(32), {}, "x").ok());
}

}  // namespace
}  // namespace arcana::crypto
