// Asymmetric keys and MACs: each key spec's sign/verify (RAW and DIGEST), RSA-OAEP,
// DER export/import, HMAC test vectors; Ed25519 keys (ECC_NIST_EDWARDS25519): pure Ed25519
// over messages, Ed25519ph over SHA-512 digests (RFC 8032's test vector).
#include <gtest/gtest.h>

#include "hex_testing.h"

#include <openssl/evp.h>

#include "crypto/asymmetric.h"
#include "crypto/ed25519.h"
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

using arcana::testing::Unhex;

std::string Sha512(std::string_view m) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(m.data(), m.size(), d, &n, EVP_sha512(), nullptr), 1);
  return std::string(reinterpret_cast<char*>(d), n);
}

// RFC 8032 section 7.3, "TEST abc": Ed25519ph of "abc" (whose SHA-512 is the digest signed).
TEST(Ed25519ph, Rfc8032TestVector) {
  const std::string seed =
      Unhex("833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42");
  const std::string pub =
      Unhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf");
  const std::string expected = Unhex(
      "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
      "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406");
  ASSERT_EQ(*Ed25519PublicKey(seed), pub);
  auto sig = Ed25519phSignDigest(seed, Sha512("abc"));
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  EXPECT_EQ(*sig, expected);
  EXPECT_TRUE(Ed25519phVerifyDigest(pub, Sha512("abc"), expected));
  EXPECT_FALSE(Ed25519phVerifyDigest(pub, Sha512("abd"), expected));
  // Not pure Ed25519's signature of the digest or of the message (dom2 sets them apart).
  EXPECT_FALSE(Ed25519Verify(pub, Sha512("abc"), expected));
  EXPECT_FALSE(Ed25519Verify(pub, "abc", expected));
  // S + L: the same point equation, but not the one canonical form (malleability).
  std::string s_plus_l = expected;
  const std::string l = Unhex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
  int carry = 0;
  for (size_t i = 0; i < 32; ++i) {
    int v = static_cast<unsigned char>(s_plus_l[32 + i]) + static_cast<unsigned char>(l[i]) + carry;
    s_plus_l[32 + i] = static_cast<char>(v & 0xff);
    carry = v >> 8;
  }
  ASSERT_EQ(carry, 0);
  EXPECT_FALSE(Ed25519phVerifyDigest(pub, Sha512("abc"), s_plus_l));
  // A small-order public key (the identity) and wrong sizes are no signature.
  std::string identity(32, '\0');
  identity[0] = 1;
  EXPECT_FALSE(Ed25519phVerifyDigest(identity, Sha512("abc"), expected));
  EXPECT_FALSE(Ed25519phVerifyDigest(pub, "abc", expected));
  EXPECT_FALSE(Ed25519phSignDigest(seed, "abc").ok());
  EXPECT_FALSE(Ed25519phSignDigest("short", Sha512("abc")).ok());
}

TEST(Ed25519Keys, PureSignsMessagesPhSignsSha512Digests) {
  auto pkcs8 = GenerateKeyPair(*dk::AsymmetricSpecOf("ECC_NIST_EDWARDS25519"));
  ASSERT_TRUE(pkcs8.ok()) << pkcs8.status().message();
  auto key = LoadPrivateKey(*pkcs8);
  ASSERT_TRUE(key.ok());
  auto spki = ExportPublicKey(key->get());
  ASSERT_TRUE(spki.ok());
  EXPECT_EQ(spki->size(), 44u);  // SubjectPublicKeyInfo, OID 1.3.101.112, 32-byte key
  auto pub = LoadPublicKey(*spki);
  ASSERT_TRUE(pub.ok());
  const std::string raw_pub = spki->substr(12);
  EXPECT_EQ(dk::SigningAlgorithmsFor("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
            (std::vector<std::string>{"ED25519_SHA_512", "ED25519_PH_SHA_512"}));
  const std::string msg = "message to sign";
  auto pure = dk::SigningParamsOf("ED25519_SHA_512");
  auto ph = dk::SigningParamsOf("ED25519_PH_SHA_512");
  ASSERT_TRUE(pure && ph);

  auto sig = SignMessage(key->get(), pure->scheme, pure->hash, msg, false);
  ASSERT_TRUE(sig.ok()) << sig.status().message();
  EXPECT_EQ(sig->size(), 64u);
  EXPECT_TRUE(Ed25519Verify(raw_pub, msg, *sig));  // plain RFC 8032 Ed25519 of the message
  EXPECT_TRUE(*VerifySignature(pub->get(), pure->scheme, pure->hash, msg, false, *sig));
  EXPECT_FALSE(*VerifySignature(pub->get(), pure->scheme, pure->hash, msg + "!", false, *sig));
  EXPECT_EQ(SignMessage(key->get(), pure->scheme, pure->hash, Sha512(msg), true).status().code(),
            ErrorCode::kValidation);

  auto psig = SignMessage(key->get(), ph->scheme, ph->hash, Sha512(msg), true);
  ASSERT_TRUE(psig.ok()) << psig.status().message();
  EXPECT_TRUE(Ed25519phVerifyDigest(raw_pub, Sha512(msg), *psig));
  EXPECT_TRUE(*VerifySignature(pub->get(), ph->scheme, ph->hash, Sha512(msg), true, *psig));
  EXPECT_TRUE(*VerifySignature(pub->get(), ph->scheme, ph->hash, msg, false, *psig));  // hashed here
  EXPECT_FALSE(*VerifySignature(pub->get(), ph->scheme, ph->hash, Sha512(msg + "!"), true, *psig));
  EXPECT_FALSE(*VerifySignature(pub->get(), pure->scheme, pure->hash, msg, false, *psig));
  EXPECT_EQ(SignMessage(key->get(), ph->scheme, ph->hash, "short", true).status().code(),
            ErrorCode::kValidation);
  // An Ed25519 algorithm does not fit another key, nor ECDSA an Ed25519 key.
  auto ec = LoadPrivateKey(*GenerateKeyPair(AsymmetricSpec::kP256));
  EXPECT_FALSE(SignMessage(ec->get(), pure->scheme, pure->hash, msg, false).ok());
  EXPECT_FALSE(SignMessage(key->get(), SignScheme::kEcdsa, HashAlg::kSha256, msg, false).ok());
}

TEST(Specs, Ed25519MessageTypes) {
  EXPECT_TRUE(dk::CheckMessageType("ED25519_SHA_512", false).ok());
  EXPECT_TRUE(dk::CheckMessageType("ED25519_PH_SHA_512", true).ok());
  EXPECT_TRUE(dk::CheckMessageType("ECDSA_SHA_256", true).ok());
  EXPECT_TRUE(dk::CheckMessageType("ECDSA_SHA_256", false).ok());
  Status raw = dk::CheckMessageType("ED25519_PH_SHA_512", false);
  EXPECT_EQ(raw.code(), ErrorCode::kValidation);
  EXPECT_EQ(raw.message(), "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512.");
  EXPECT_EQ(dk::CheckMessageType("ED25519_SHA_512", true).message(),
            "Message type DIGEST is incompatible with algorithm ED25519_SHA_512.");
  std::string spec = "ECC_NIST_EDWARDS25519", usage = "SIGN_VERIFY";
  EXPECT_TRUE(dk::CheckSpecAndUsage(spec, usage).ok());
  usage = "KEY_AGREEMENT";
  EXPECT_EQ(dk::CheckSpecAndUsage(spec, usage).code(), ErrorCode::kValidation);
  EXPECT_TRUE(dk::KeyAgreementAlgorithmsFor(spec, "KEY_AGREEMENT").empty());
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
