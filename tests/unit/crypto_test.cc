#include <gtest/gtest.h>

#include "hex_testing.h"
#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <set>
#include <string>

#include "crypto/aead.h"
#include "crypto/base64.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/ssh_public_key.h"

namespace arcana::crypto {
namespace {

using arcana::testing::Unhex;

TEST(CryptoHash, Sha256KnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256("abc").size(), 32u);
  EXPECT_EQ(HexEncode(Sha256("abc")), Sha256Hex("abc"));
}

TEST(CryptoHash, HmacSha256Rfc4231) {
  // Test case 2.
  EXPECT_EQ(HexEncode(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // Test case 1: key = 20 x 0x0b, data = "Hi There".
  EXPECT_EQ(HexEncode(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  // Test case 6: key longer than the block size.
  EXPECT_EQ(HexEncode(HmacSha256(std::string(131, '\xaa'),
                                 "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // Empty key and data are legal.
  EXPECT_EQ(HexEncode(HmacSha256("", "")),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(CryptoHash, HexEncode) {
  EXPECT_EQ(HexEncode(""), "");
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(CryptoHash, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abcd"));
  EXPECT_FALSE(ConstantTimeEquals("", "a"));
}

TEST(CryptoBase64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [raw, enc] : cases) {
    EXPECT_EQ(Base64Encode(raw), enc);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.has_value()) << enc;
    EXPECT_EQ(*dec, raw);
  }
}

TEST(CryptoBase64, RoundTripAllLengthsAndBytes) {
  for (size_t n = 0; n < 70; ++n) {
    const std::string raw = RandomBytes(n);
    const std::string enc = Base64Encode(raw);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.has_value());
    EXPECT_EQ(*dec, raw);

    const std::string url = Base64UrlEncode(raw);
    EXPECT_EQ(url.find_first_of("+/="), std::string::npos);
    auto udec = Base64UrlDecode(url);
    ASSERT_TRUE(udec.has_value());
    EXPECT_EQ(*udec, raw);
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(*Base64Decode(Base64Encode(all)), all);
  EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(all)), all);
  EXPECT_EQ(Base64Encode("\xfb\xff"), "+/8=");
  EXPECT_EQ(Base64UrlEncode("\xfb\xff"), "-_8");
}

TEST(CryptoBase64, StrictRejection) {
  const char* bad[] = {
      "Zg",        // missing padding
      "Zg=",       // short padding
      "Z",         // length 1
      "Zm9v\n",    // whitespace
      " Zm9v",     // whitespace
      "Zm9v Zm9v", // inner whitespace
      "Zm9*",      // bad character
      "Zm-v",      // URL alphabet in standard decoder
      "Zm_v",
      "Z===",      // too much padding
      "====",
      "Zg==Zg==",  // padding in the middle
      "Zm=v",
      "Zh==",      // non-zero trailing bits
      "Zm9=",      // non-zero trailing bits
      "Zm8=Zm8=",
  };
  for (const char* b : bad) EXPECT_FALSE(Base64Decode(b).has_value()) << b;
  EXPECT_TRUE(Base64Decode("").has_value());
  EXPECT_EQ(*Base64Decode(""), "");

  const char* bad_url[] = {"Zg==", "Zm8=", "Z", "+/8", "ab/c", "ab c", "Zh", "Zm9"};
  for (const char* b : bad_url) EXPECT_FALSE(Base64UrlDecode(b).has_value()) << b;
  EXPECT_EQ(*Base64UrlDecode(""), "");
  EXPECT_EQ(*Base64UrlDecode("Zg"), "f");
  EXPECT_EQ(*Base64UrlDecode("-_8"), "\xfb\xff");
}

TEST(CryptoHash, HkdfSha256Rfc5869) {
  // Appendix A, test cases 1-3 (SHA-256): several blocks, long inputs, empty salt and info.
  EXPECT_EQ(HexEncode(HkdfSha256(std::string(22, '\x0b'), Unhex("000102030405060708090a0b0c"),
                                 Unhex("f0f1f2f3f4f5f6f7f8f9"), 42)),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  std::string ikm, salt, info;
  for (int i = 0; i < 80; ++i) {
    ikm.push_back(static_cast<char>(i));
    salt.push_back(static_cast<char>(0x60 + i));
    info.push_back(static_cast<char>(0xb0 + i));
  }
  EXPECT_EQ(HexEncode(HkdfSha256(ikm, salt, info, 82)),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c"
            "65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87");
  EXPECT_EQ(HexEncode(HkdfSha256(std::string(22, '\x0b'), "", "", 42)),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
  EXPECT_EQ(HkdfSha256("k", "s", "i", 0), "");
  EXPECT_EQ(HkdfSha256("k", "s", "i", 255 * 32 + 1), "");
  EXPECT_EQ(HkdfSha256("k", "s", "i", 255 * 32).size(), 255u * 32);
}

// Keys derived before HkdfSha256 had its own expand loop came from OpenSSL's HKDF; stored
// KMS ciphertexts need the same keys from both, for every length and input shape.
TEST(CryptoHash, HkdfSha256MatchesOpenSsl) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  ASSERT_NE(kdf, nullptr);
  for (size_t length : {1u, 31u, 32u, 33u, 64u, 100u, 8160u}) {
    for (size_t salt_len : {0u, 16u, 32u, 65u}) {
      const std::string ikm = RandomBytes(32), salt = RandomBytes(salt_len),
                        info = RandomBytes(length % 7 * 11);
      EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
      char digest[] = "SHA256";
      auto oct = [](const char* name, const std::string& v) {
        return OSSL_PARAM_construct_octet_string(name, const_cast<char*>(v.data()), v.size());
      };
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
                             oct(OSSL_KDF_PARAM_KEY, ikm), oct(OSSL_KDF_PARAM_SALT, salt),
                             oct(OSSL_KDF_PARAM_INFO, info), OSSL_PARAM_construct_end()};
      std::string want(length, '\0');
      ASSERT_EQ(EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(want.data()), length, params),
                1);
      EVP_KDF_CTX_free(ctx);
      EXPECT_EQ(HkdfSha256(ikm, salt, info, length), want) << length << " " << salt_len;
    }
  }
  EVP_KDF_free(kdf);
}

TEST(CryptoRandom, BytesLengthAndVariety) {
  EXPECT_EQ(RandomBytes(0).size(), 0u);
  EXPECT_EQ(RandomBytes(1).size(), 1u);
  EXPECT_EQ(RandomBytes(1000).size(), 1000u);
  EXPECT_NE(RandomBytes(32), RandomBytes(32));
}

TEST(CryptoRandom, UniformInRangeAndCoversAll) {
  EXPECT_EQ(RandomUniform(0), 0u);
  EXPECT_EQ(RandomUniform(1), 0u);
  std::set<uint32_t> seen;
  for (int i = 0; i < 2000; ++i) {
    const uint32_t v = RandomUniform(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 10u);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_LT(RandomUniform(0x80000001u), 0x80000001u);
    ASSERT_LT(RandomUniform(3), 3u);
  }
}

// Small draws come from a per-thread block of DRBG output (random.cc): whatever sizes are
// drawn, no byte is handed out twice, and a forked child does not repeat its parent's bytes.
TEST(CryptoRandom, SmallDrawsNeverRepeatAndForkedChildrenDiffer) {
  std::set<std::string> seen;
  for (int round = 0; round < 40; ++round) {
    for (size_t n : {1u, 3u, 16u, 32u, 64u, 65u}) {
      std::string r = RandomBytes(n);
      ASSERT_EQ(r.size(), n);
      if (n >= 16) EXPECT_TRUE(seen.insert(r.substr(0, 16)).second) << "repeated " << n;
    }
  }
  (void)RandomBytes(1);  // the block now holds bytes the parent has not handed out yet
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const std::string child = RandomBytes(16);
    _exit(write(fds[1], child.data(), child.size()) == 16 ? 0 : 1);
  }
  close(fds[1]);
  char buf[16];
  ASSERT_EQ(read(fds[0], buf, sizeof(buf)), 16);
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_EQ(status, 0);
  EXPECT_NE(std::string(buf, 16), RandomBytes(16));
}

TEST(CryptoRandom, UuidV4Format) {
  const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string u = NewUuidV4();
    EXPECT_TRUE(std::regex_match(u, re)) << u;
    seen.insert(u);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(CryptoAead, RoundTrip) {
  const std::string key = RandomBytes(32);
  for (const std::string& pt : {std::string(), std::string("x"), std::string("hello world"),
                               RandomBytes(1000), std::string("\0\1\2", 3)}) {
    for (const std::string& aad : {std::string(), std::string("arn:aws:secret|v1")}) {
      auto sealed = AeadSeal(key, pt, aad);
      ASSERT_TRUE(sealed.ok());
      EXPECT_EQ(sealed->size(), pt.size() + kAeadOverhead);
      auto opened = AeadOpen(key, *sealed, aad);
      ASSERT_TRUE(opened.ok()) << opened.status().message();
      EXPECT_EQ(*opened, pt);
    }
  }
}

TEST(CryptoAead, KnownAnswerNistGcm) {
  // NIST GCM test case 16 (AES-256, 96-bit IV, AAD): check our layout against OpenSSL's
  // primitive by opening a blob assembled from the published vector.
  const std::string key =
      Unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = Unhex("cafebabefacedbaddecaf888");
  const std::string pt = Unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string aad = Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string ct = Unhex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
  const std::string tag = Unhex("76fc6ece0f4e1768cddf8853bb2d551b");
  auto opened = AeadOpen(key, iv + ct + tag, aad);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, pt);
}

TEST(CryptoAead, TamperingEveryByteFails) {
  const std::string key = RandomBytes(32);
  auto sealed = AeadSeal(key, "secret!", "aad");
  ASSERT_TRUE(sealed.ok());
  for (size_t i = 0; i < sealed->size(); ++i) {
    for (unsigned char flip : {0x01, 0x80, 0xff}) {
      std::string t = *sealed;
      t[i] = static_cast<char>(static_cast<unsigned char>(t[i]) ^ flip);
      auto r = AeadOpen(key, t, "aad");
      ASSERT_FALSE(r.ok()) << "byte " << i;
      EXPECT_EQ(r.status().code(), ErrorCode::kDecryptionFailure);
      EXPECT_EQ(r.status().message().find("secret!"), std::string::npos);
    }
  }
  // Truncation and extension fail too.
  for (size_t n = 0; n < sealed->size(); ++n) {
    EXPECT_FALSE(AeadOpen(key, sealed->substr(0, n), "aad").ok()) << n;
  }
  EXPECT_FALSE(AeadOpen(key, *sealed + "x", "aad").ok());
}

TEST(CryptoAead, WrongAadFails) {
  const std::string key = RandomBytes(32);
  auto sealed = AeadSeal(key, "payload", "context-a");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(AeadOpen(key, *sealed, "context-b").status().code(), ErrorCode::kDecryptionFailure);
  EXPECT_FALSE(AeadOpen(key, *sealed, "").ok());
  EXPECT_FALSE(AeadOpen(key, *sealed, std::string("context-a\0", 10)).ok());
  EXPECT_TRUE(AeadOpen(key, *sealed, "context-a").ok());
}

TEST(CryptoAead, WrongKeyFails) {
  const std::string key = RandomBytes(32);
  std::string other = key;
  other[31] = static_cast<char>(other[31] ^ 1);
  auto sealed = AeadSeal(key, "payload", "");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(AeadOpen(other, *sealed, "").status().code(), ErrorCode::kDecryptionFailure);
  EXPECT_EQ(AeadOpen(RandomBytes(32), *sealed, "").status().code(),
            ErrorCode::kDecryptionFailure);
}

TEST(CryptoAead, BadKeySize) {
  for (size_t n : {0, 16, 24, 31, 33, 64}) {
    auto s = AeadSeal(std::string(n, 'k'), "pt", "");
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), ErrorCode::kEncryptionFailure);
    auto o = AeadOpen(std::string(n, 'k'), std::string(64, 'x'), "");
    ASSERT_FALSE(o.ok());
    EXPECT_EQ(o.status().code(), ErrorCode::kDecryptionFailure);
  }
}

TEST(CryptoAead, NoncesAreUnique) {
  const std::string key = RandomBytes(32);
  std::set<std::string> nonces;
  std::set<std::string> blobs;
  for (int i = 0; i < 1000; ++i) {
    auto s = AeadSeal(key, "same plaintext", "same aad");
    ASSERT_TRUE(s.ok());
    nonces.insert(s->substr(0, kAeadNonceSize));
    blobs.insert(*s);
  }
  EXPECT_EQ(nonces.size(), 1000u);
  EXPECT_EQ(blobs.size(), 1000u);
}

TEST(CryptoAead, SecureWipe) {
  std::string s = "sensitive";
  SecureWipe(s);
  EXPECT_TRUE(s.empty());
  std::string empty;
  SecureWipe(empty);
  EXPECT_TRUE(empty.empty());
}

// An ssh-rsa key whose modulus is only zero bytes (found by ssh_public_key_fuzzer) is no key:
// refused, not taken with 0 bits.
TEST(SshPublicKey, ZeroModulusIsNoKey) {
  EXPECT_FALSE(ParseSshPublicKey("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAAgAA").has_value());
}

}  // namespace
}  // namespace arcana::crypto
