// KMS symmetric ciphertext format: round trips, context binding, and that a flipped bit
// at any position of the blob fails cleanly.
#include <gtest/gtest.h>

#include <set>

#include "crypto/aead.h"
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
  EXPECT_EQ(blob->size(), 9 + 94 + kKeyId.size());
  EXPECT_EQ(static_cast<unsigned char>((*blob)[0]), kKmsCiphertextFormatV2);
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

// Version 1 blob as written before per-message keys: GCM directly under the material.
std::string V1Blob(const std::string& material, const std::string& mid,
                   const EncryptionContext& ctx, const std::string& plaintext) {
  std::string header;
  header.push_back(static_cast<char>(kKmsCiphertextFormatV1));
  header.push_back(static_cast<char>(kKeyId.size()));
  header += kKeyId;
  header += mid;
  return header + *AeadSeal(material, plaintext, header + CanonicalContext(ctx));
}

TEST(KmsCiphertext, Version1BlobsStillDecrypt) {
  std::string material = RandomBytes(32);
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  EncryptionContext ctx{{"k", "v"}};
  std::string old = V1Blob(material, mid, ctx, "written by an older release");
  KmsCiphertextHeader h;
  ASSERT_TRUE(ParseKmsCiphertextHeader(old, &h));
  EXPECT_EQ(h.format, kKmsCiphertextFormatV1);
  EXPECT_EQ(h.key_id, kKeyId);
  EXPECT_EQ(h.material_id, mid);
  auto plain = KmsSymmetricDecrypt(material, old, ctx);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*plain, "written by an older release");
  EXPECT_FALSE(KmsSymmetricDecrypt(material, old, {}).ok());
  for (size_t i = 0; i < old.size(); ++i) {
    std::string t = old;
    t[i] = static_cast<char>(t[i] ^ 0x10);
    EXPECT_FALSE(KmsSymmetricDecrypt(material, t, ctx).ok()) << i;
  }
}

// Every message gets its own GCM key: a fresh 256-bit salt per encryption, and the GCM
// key is not the material (a version 2 body does not open under the material itself).
TEST(KmsCiphertext, PerMessageKeyFromFreshSalt) {
  std::string material = RandomBytes(32);
  std::string mid = RandomBytes(kKmsMaterialIdSize);
  std::set<std::string> salts;
  for (int i = 0; i < 64; ++i) {
    auto blob = KmsSymmetricEncrypt(material, kKeyId, mid, {}, "same");
    ASSERT_TRUE(blob.ok());
    KmsCiphertextHeader h;
    ASSERT_TRUE(ParseKmsCiphertextHeader(*blob, &h));
    EXPECT_EQ(h.salt.size(), kKmsSaltSize);
    EXPECT_TRUE(salts.insert(h.salt).second) << "salt reused";
    EXPECT_FALSE(AeadOpen(material, blob->substr(h.size), blob->substr(0, h.size)).ok());
  }
  // A salt moved from another blob breaks it.
  auto a = *KmsSymmetricEncrypt(material, kKeyId, mid, {}, "a");
  auto b = *KmsSymmetricEncrypt(material, kKeyId, mid, {}, "b");
  KmsCiphertextHeader ha;
  ASSERT_TRUE(ParseKmsCiphertextHeader(a, &ha));
  std::string mixed = a;
  mixed.replace(ha.size - kKmsSaltSize, kKmsSaltSize, b.substr(ha.size - kKmsSaltSize, kKmsSaltSize));
  EXPECT_FALSE(KmsSymmetricDecrypt(material, mixed, {}).ok());
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
