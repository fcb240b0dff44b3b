// crypto::CheckServerCertificate: the verdicts UploadServerCertificate answers from (the body,
// the key, the pair, the chain's order), on certificates made here with OpenSSL.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <string>

#include "crypto/server_certificate.h"

namespace arcana::crypto {
namespace {

using Fault = ServerCertificateCheck::Fault;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using CertPtr = std::unique_ptr<X509, decltype(&X509_free)>;

KeyPtr NewKey(const char* type = "EC") {
  EVP_PKEY* k = std::string_view(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA",
                                                                     size_t{2048})
                : std::string_view(type) == "ED25519"
                    ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                    : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  return KeyPtr(k, &EVP_PKEY_free);
}

// A certificate of `key` named `cn`, signed by `issuer_key` under `issuer`'s name (itself
// when null), valid from `from_days` to `to_days` days from now.
CertPtr NewCert(EVP_PKEY* key, const char* cn, EVP_PKEY* issuer_key = nullptr,
                X509* issuer = nullptr, long from_days = -1, long to_days = 30) {
  CertPtr c(X509_new(), &X509_free);
  X509_set_version(c.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c.get()), static_cast<long>(std::time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(c.get()), from_days * 86400);
  X509_gmtime_adj(X509_getm_notAfter(c.get()), to_days * 86400);
  X509_set_pubkey(c.get(), key);
  X509_NAME* name = X509_get_subject_name(c.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(c.get(), issuer ? X509_get_subject_name(issuer) : name);
  EVP_PKEY* signer = issuer_key ? issuer_key : key;
  // Ed25519 signs without a separate digest.
  const bool ed = EVP_PKEY_get_base_id(signer) == EVP_PKEY_ED25519;
  X509_sign(c.get(), signer, ed ? nullptr : EVP_sha256());
  return c;
}

std::string Pem(X509* c) {
  std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_X509(b.get(), c);
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string KeyPem(EVP_PKEY* k, const char* passphrase = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> b(BIO_new(BIO_s_mem()), &BIO_free);
  if (passphrase) {
    PEM_write_bio_PKCS8PrivateKey(b.get(), k, EVP_aes_256_cbc(), passphrase,
                                  static_cast<int>(std::strlen(passphrase)), nullptr, nullptr);
  } else {
    PEM_write_bio_PrivateKey(b.get(), k, nullptr, nullptr, 0, nullptr, nullptr);
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(b.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string Trimmed(std::string s) {
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s;
}

TEST(ServerCertificate, SelfSignedPairIsTakenAndWrittenAgain) {
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(key.get(), "self");
  const int64_t now_ms = static_cast<int64_t>(std::time(nullptr)) * 1000;
  // Carriage returns and text around the block are PEM readers' business.
  std::string crlf;
  for (char ch : "subject=CN = self\n" + Pem(cert.get())) {
    if (ch == '\n') crlf += '\r';
    crlf += ch;
  }
  auto check = CheckServerCertificate(crlf, KeyPem(key.get()), "");
  ASSERT_EQ(check.fault, Fault::kNone);
  EXPECT_EQ(check.body_pem, Trimmed(Pem(cert.get())));
  EXPECT_EQ(check.chain_pem, "");
  EXPECT_NEAR(static_cast<double>(check.not_after_ms), now_ms + 30.0 * 86400 * 1000, 5000);
  EXPECT_NEAR(static_cast<double>(check.not_before_ms), now_ms - 86400.0 * 1000, 5000);
  EXPECT_EQ(CheckServerCertificate(Pem(cert.get()), KeyPem(NewKey("RSA").get()), "").fault,
            Fault::kKeyMismatch);
}

TEST(ServerCertificate, RefusesWhatDoesNotParse) {
  KeyPtr key = NewKey();
  CertPtr cert = NewCert(key.get(), "self");
  const std::string body = Pem(cert.get()), key_pem = KeyPem(key.get());
  EXPECT_EQ(CheckServerCertificate("file://cert.pem", key_pem, "").fault, Fault::kCertificate);
  EXPECT_EQ(CheckServerCertificate(key_pem, key_pem, "").fault, Fault::kCertificate);
  EXPECT_EQ(CheckServerCertificate(
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", key_pem, "")
                .fault,
            Fault::kCertificate);
  EXPECT_EQ(CheckServerCertificate(body, "file://key.pem", "").fault, Fault::kPrivateKey);
  EXPECT_EQ(CheckServerCertificate(body, body, "").fault, Fault::kPrivateKey);
  // Encrypted: refused, never prompted for (the test would hang on a terminal otherwise).
  EXPECT_EQ(CheckServerCertificate(body, KeyPem(key.get(), "passphrase"), "").fault,
            Fault::kPrivateKey);
  // A key type IAM does not take, with its own certificate.
  KeyPtr ed = NewKey("ED25519");
  CertPtr ed_cert = NewCert(ed.get(), "ed");
  EXPECT_EQ(CheckServerCertificate(Pem(ed_cert.get()), KeyPem(ed.get()), "").fault,
            Fault::kPrivateKey);
  EXPECT_EQ(CheckServerCertificate(body, key_pem, "not a chain").fault, Fault::kChainUnparsable);
  // The validity period is reported, not judged: the service refuses with AWS's words.
  CertPtr expired = NewCert(key.get(), "old", nullptr, nullptr, -30, -1);
  auto check = CheckServerCertificate(Pem(expired.get()), key_pem, "");
  EXPECT_EQ(check.fault, Fault::kNone);
  EXPECT_LT(check.not_after_ms, static_cast<int64_t>(std::time(nullptr)) * 1000);
}

TEST(ServerCertificate, ChainMustSignInOrder) {
  KeyPtr root_key = NewKey(), inter_key = NewKey(), leaf_key = NewKey(), other_key = NewKey();
  CertPtr root = NewCert(root_key.get(), "root");
  CertPtr inter = NewCert(inter_key.get(), "inter", root_key.get(), root.get());
  CertPtr leaf = NewCert(leaf_key.get(), "leaf", inter_key.get(), inter.get());
  CertPtr other = NewCert(other_key.get(), "other");
  const std::string leaf_pem = Pem(leaf.get()), key = KeyPem(leaf_key.get());
  const std::string root_pem = Pem(root.get()), inter_pem = Pem(inter.get());

  auto ok = CheckServerCertificate(leaf_pem, key, inter_pem + root_pem);
  ASSERT_EQ(ok.fault, Fault::kNone);
  EXPECT_EQ(ok.chain_pem, inter_pem + Trimmed(root_pem));
  // The body's further certificates lead the chain.
  auto joined = CheckServerCertificate(leaf_pem + inter_pem, key, root_pem);
  ASSERT_EQ(joined.fault, Fault::kNone);
  EXPECT_EQ(joined.body_pem, Trimmed(leaf_pem));
  EXPECT_EQ(joined.chain_pem, inter_pem + Trimmed(root_pem));

  auto first = CheckServerCertificate(leaf_pem, key, root_pem + inter_pem);
  EXPECT_EQ(first.fault, Fault::kChainOrder);
  EXPECT_EQ(first.chain_index, -1);
  auto second = CheckServerCertificate(leaf_pem, key, inter_pem + Pem(other.get()));
  EXPECT_EQ(second.fault, Fault::kChainOrder);
  EXPECT_EQ(second.chain_index, 1);
  // A chain longer than any real one is refused before its signatures are checked.
  std::string long_chain;
  for (size_t i = 0; i <= kMaxChainCertificates; ++i) long_chain += inter_pem;
  EXPECT_EQ(CheckServerCertificate(leaf_pem, key, long_chain).fault, Fault::kChainUnparsable);
}

}  // namespace
}  // namespace arcana::crypto
