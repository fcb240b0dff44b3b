#include "crypto/server_certificate.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace arcana::crypto {

namespace {

// Bounds on what is handed to OpenSSL, above IAM's model (16,384 characters for the body and
// the key, 2,097,152 for the chain), which the service's validator enforces first.
constexpr size_t kMaxServerPemText = 64 * 1024;
constexpr size_t kMaxServerChainText = 4 * 1024 * 1024;

using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;
using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// Leaves OpenSSL's (thread-local) error queue empty whatever path returns.
struct ServerCertErrClear {
  ~ServerCertErrClear() { ERR_clear_error(); }
};

Bio ServerCertBio(std::string_view text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), &BIO_free);
}

std::optional<int64_t> ServerCertEpochMs(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

// The passphrase callback: refuses, so an encrypted key fails to load instead of OpenSSL's
// default callback prompting on the server's terminal (or trying an empty passphrase).
int RefusePassphrase(char*, int, int, void*) { return -1; }

// RSA of 1024 to 4096 bits (AWS's users upload 1024-bit keys to IAM, terraform's acceptance
// test among them, and 4096-bit ones; CloudFront takes at most 4096), EC on the NIST curves
// ACM imports. Ed25519, DSA and the rest are refused as a key that does not parse.
bool TakenKeyType(EVP_PKEY* key) {
  const int id = EVP_PKEY_get_base_id(key);
  if (id == EVP_PKEY_RSA) {
    const int bits = EVP_PKEY_get_bits(key);
    return bits >= 1024 && bits <= 4096;
  }
  if (id == EVP_PKEY_EC) {
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group, sizeof(group), &len) != 1) return false;
    return std::strcmp(group, "prime256v1") == 0 || std::strcmp(group, "secp384r1") == 0 ||
           std::strcmp(group, "secp521r1") == 0;
  }
  return false;
}

// Every certificate of a PEM text, in order; nullopt when it holds none, a block that does
// not parse, or more than `max`.
std::optional<std::vector<Cert>> ReadCertificates(std::string_view text, size_t max) {
  Bio bio = ServerCertBio(text);
  if (!bio) return std::nullopt;
  std::vector<Cert> out;
  for (;;) {
    Cert c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
    if (!c) {
      // The end of the text reads as "no start line"; anything else is a block that is
      // broken (bad base64, not a certificate's DER).
      const unsigned long err = ERR_peek_last_error();
      const bool at_end = ERR_GET_LIB(err) == ERR_LIB_PEM &&
                          ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
      if (!at_end || out.empty()) return std::nullopt;
      return out;
    }
    if (out.size() == max) return std::nullopt;
    out.push_back(std::move(c));
  }
}

// The certificate as PEM, without its final newline ("" if OpenSSL cannot write it).
std::string PemOf(X509* cert) {
  Bio out(BIO_new(BIO_s_mem()), &BIO_free);
  if (!out || PEM_write_bio_X509(out.get(), cert) != 1) return "";
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  std::string pem(data, n > 0 ? static_cast<size_t>(n) : 0);
  while (!pem.empty() && pem.back() == '\n') pem.pop_back();
  return pem;
}

// Whether `issuer`'s public key verifies `subject`'s signature.
bool Signs(X509* issuer, X509* subject) {
  EVP_PKEY* key = X509_get0_pubkey(issuer);
  return key != nullptr && X509_verify(subject, key) == 1;
}

}  // namespace

ServerCertificateCheck CheckServerCertificate(std::string_view body,
                                              std::string_view private_key,
                                              std::string_view chain) {
  ServerCertErrClear clear_errors;
  using Fault = ServerCertificateCheck::Fault;
  ServerCertificateCheck out;

  if (body.size() > kMaxServerPemText) return {Fault::kCertificate};
  auto body_certs = ReadCertificates(body, kMaxChainCertificates);
  if (!body_certs) return {Fault::kCertificate};
  X509* cert = body_certs->front().get();
  auto from = ServerCertEpochMs(X509_get0_notBefore(cert));
  auto until = ServerCertEpochMs(X509_get0_notAfter(cert));
  if (!from || !until) return {Fault::kCertificate};
  out.not_before_ms = *from;
  out.not_after_ms = *until;

  if (private_key.size() > kMaxServerPemText) {
    out.fault = Fault::kPrivateKey;
    return out;
  }
  Bio key_bio = ServerCertBio(private_key);
  Key key(key_bio ? PEM_read_bio_PrivateKey(key_bio.get(), nullptr, &RefusePassphrase, nullptr)
                  : nullptr,
          &EVP_PKEY_free);
  if (!key || !TakenKeyType(key.get())) {
    out.fault = Fault::kPrivateKey;
    return out;
  }
  EVP_PKEY* public_key = X509_get0_pubkey(cert);
  if (public_key == nullptr || EVP_PKEY_eq(public_key, key.get()) != 1) {
    out.fault = Fault::kKeyMismatch;
    return out;
  }
  key.reset();

  // The chain: the body's further certificates, then the chain's own.
  std::vector<Cert> certs;
  for (size_t i = 1; i < body_certs->size(); ++i) certs.push_back(std::move((*body_certs)[i]));
  if (!chain.empty()) {
    auto given = chain.size() > kMaxServerChainText
                     ? std::nullopt
                     : ReadCertificates(chain, kMaxChainCertificates);
    if (!given || certs.size() + given->size() > kMaxChainCertificates) {
      out.fault = Fault::kChainUnparsable;
      return out;
    }
    for (auto& c : *given) certs.push_back(std::move(c));
  }
  X509* previous = cert;
  for (size_t i = 0; i < certs.size(); ++i) {
    if (!Signs(certs[i].get(), previous)) {
      out.fault = Fault::kChainOrder;
      out.chain_index = i == 0 ? -1 : static_cast<int>(i);
      return out;
    }
    previous = certs[i].get();
  }

  out.body_pem = PemOf(cert);
  for (const auto& c : certs) {
    if (!out.chain_pem.empty()) out.chain_pem += '\n';
    out.chain_pem += PemOf(c.get());
  }
  return out;
}

}  // namespace arcana::crypto
