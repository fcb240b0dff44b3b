// Asymmetric keys and MACs: each key spec's sign/verify (RAW and DIGEST), RSA-OAEP,
// DER export/import, HMAC test vectors.
#include <gtest/gtest.h>

#include "crypto/asymmetric.h"
#include "crypto/hash.h"
#include "domain/kms/specs.h"

namespace arcana::crypto {
namespace {

namespace dk = domain::kms;

class SignVerify : public ::testing::TestWithParam<const char*> {};

TEST_P(SignVerify, EveryAlgorithmOfTheSpec) {
  std::string spec_name = GetParam();
  auto spec = dk::AsymmetricSpecOf(spec_name);
  ASSERT_TRUE(spec.has_value());
  auto pkcs8 = GenerateKeyPair(*spec);
  ASSERT_TRUE(pkcs8.ok());
  auto key = LoadPrivateKey(*pkcs8);
  ASSERT_TRUE(key.ok());
  auto spki = ExportPublicKey(key->get());
  ASSERT_TRUE(spki.ok());
  auto pub = LoadPublicKey(*spki);
  ASSERT_TRUE(pub.ok());
  // PKCS#8 export of the loaded key is stable.
  auto again = ExportPrivateKey(key->get());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *pkcs8);

  const std::string msg = "message to sign";
  for (const auto& alg : dk::SigningAlgorithmsFor(spec_name, "SIGN_VERIFY")) {
    auto p = dk::SigningParamsOf(alg);
    ASSERT_TRUE(p.has_value()) << alg;
    auto sig = SignMessage(key->get(), p->scheme, p->hash, msg, false);
    ASSERT_TRUE(sig.ok()) << alg << ": " << sig.status().message();
    auto ok = VerifySignature(pub->get(), p->scheme, p->hash, msg, false, *sig);
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(*ok) << alg;
    auto bad = VerifySignature(pub->get(), p->scheme, p->hash, msg + "!", false, *sig);
    ASSERT_TRUE(bad.ok());
    EXPECT_FALSE(*bad) << alg;
    std::string flipped = *sig;
    flipped[flipped.size() / 2] ^= 0x01;
    auto bad2 = VerifySignature(pub->get(), p->scheme, p->hash, msg, false, flipped);
    ASSERT_TRUE(bad2.ok());
    EXPECT_FALSE(*bad2) << alg;
    // DIGEST: a digest of the wrong length is refused; a right-length one signs and
    // verifies, and a RAW signature verifies as DIGEST of the message's hash.
    EXPECT_FALSE(SignMessage(key->get(), p->scheme, p->hash, "short", true).ok());
    std::string digest(DigestSize(p->hash), '\x5a');
    auto dsig = SignMessage(key->get(), p->scheme, p->hash, digest, true);
    ASSERT_TRUE(dsig.ok()) << alg;
    auto dok = VerifySignature(pub->get(), p->scheme, p->hash, digest, true, *dsig);
    ASSERT_TRUE(dok.ok());
    EXPECT_TRUE(*dok) << alg;
    if (p->hash == HashAlg::kSha256) {
      auto cross = VerifySignature(pub->get(), p->scheme, p->hash, Sha256(msg), true, *sig);
      ASSERT_TRUE(cross.ok());
      EXPECT_TRUE(*cross) << alg << ": RAW signature must verify as DIGEST";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllSpecs, SignVerify,
                         ::testing::Values("RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256",
                                           "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"));

TEST(RsaOaep, RoundTripBothHashes) {
  auto pkcs8 = GenerateKeyPair(AsymmetricSpec::kRsa2048);
  ASSERT_TRUE(pkcs8.ok());
  auto key = LoadPrivateKey(*pkcs8);
  ASSERT_TRUE(key.ok());
  for (HashAlg h : {HashAlg::kSha1, HashAlg::kSha256}) {
    auto ct = RsaOaepEncrypt(key->get(), h, "oaep plaintext");
    ASSERT_TRUE(ct.ok());
    EXPECT_EQ(ct->size(), 256u);
    auto pt = RsaOaepDecrypt(key->get(), h, *ct);
    ASSERT_TRUE(pt.ok());
    EXPECT_EQ(*pt, "oaep plaintext");
    std::string t = *ct;
    t[10] ^= 1;
    EXPECT_FALSE(RsaOaepDecrypt(key->get(), h, t).ok());
  }
  // Wrong hash fails; too long a plaintext is a validation error.
  auto ct = RsaOaepEncrypt(key->get(), HashAlg::kSha1, "x");
  EXPECT_FALSE(RsaOaepDecrypt(key->get(), HashAlg::kSha256, *ct).ok());
  auto too_long = RsaOaepEncrypt(key->get(), HashAlg::kSha256, std::string(191, 'a'));
  EXPECT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.status().code(), ErrorCode::kValidation);
  EXPECT_TRUE(RsaOaepEncrypt(key->get(), HashAlg::kSha256, std::string(190, 'a')).ok());
}

TEST(Hmac, Rfc4231Case2) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  const std::string key = "Jefe", data = "what do ya want for nothing?";
  EXPECT_EQ(HexEncode(*Hmac(HashAlg::kSha224, key, data)),
            "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44");
  EXPECT_EQ(HexEncode(*Hmac(HashAlg::kSha256, key, data)),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(HexEncode(*Hmac(HashAlg::kSha384, key, data)),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
            "8e2240ca5e69e2c78b3239ecfab21649");
  EXPECT_EQ(HexEncode(*Hmac(HashAlg::kSha512, key, data)),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
            "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737");
}

TEST(Specs, UsageRules) {
  std::string spec, usage;
  EXPECT_TRUE(dk::CheckSpecAndUsage(spec, usage).ok());
  EXPECT_EQ(spec, "SYMMETRIC_DEFAULT");
  EXPECT_EQ(usage, "ENCRYPT_DECRYPT");
  spec = "ECC_NIST_P256";
  usage = "ENCRYPT_DECRYPT";
  EXPECT_EQ(dk::CheckSpecAndUsage(spec, usage).code(), ErrorCode::kValidation);
  // Only symmetric encryption keys default their usage; AWS rejects every other spec
  // without an explicit KeyUsage.
  spec = "SYMMETRIC_DEFAULT";
  usage = "";
  EXPECT_TRUE(dk::CheckSpecAndUsage(spec, usage).ok());
  EXPECT_EQ(usage, "ENCRYPT_DECRYPT");
  for (const char* s : {"HMAC_256", "ECC_NIST_P256", "RSA_2048"}) {
    spec = s;
    usage = "";
    Status st = dk::CheckSpecAndUsage(spec, usage);
    EXPECT_EQ(st.code(), ErrorCode::kValidation) << s;
    EXPECT_EQ(st.message(),
              "You must specify a KeyUsage value for all KMS keys except for symmetric "
              "encryption keys.");
  }
  spec = "HMAC_256";
  usage = "GENERATE_VERIFY_MAC";
  EXPECT_TRUE(dk::CheckSpecAndUsage(spec, usage).ok());
  spec = "SM2";
  usage = "SIGN_VERIFY";
  EXPECT_EQ(dk::CheckSpecAndUsage(spec, usage).code(), ErrorCode::kUnsupportedOperation);
  EXPECT_EQ(dk::MacAlgorithmsFor("HMAC_384", "GENERATE_VERIFY_MAC"),
            std::vector<std::string>{"HMAC_SHA_384"});
  EXPECT_EQ(dk::EncryptionAlgorithmsFor("RSA_3072", "ENCRYPT_DECRYPT").size(), 2u);
  EXPECT_TRUE(dk::SigningAlgorithmsFor("RSA_3072", "ENCRYPT_DECRYPT").empty());
}

}  // namespace
}  // namespace arcana::crypto
