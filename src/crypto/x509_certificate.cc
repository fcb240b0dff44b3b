#include "crypto/x509_certificate.h"

#include <openssl/asn1.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>

namespace arcana::crypto {

namespace {

std::optional<int64_t> EpochMs(const ASN1_TIME* t) {
  std::tm tm{};
  if (t == nullptr || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm)) * 1000;
}

}  // namespace

std::optional<X509Summary> ParseX509Pem(std::string_view pem) {
  if (pem.size() > 64 * 1024) return std::nullopt;
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (!bio) return std::nullopt;
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return std::nullopt;
  X509Summary out;
  unsigned char* der = nullptr;
  const int n = i2d_X509(cert.get(), &der);
  if (n <= 0) return std::nullopt;
  out.der.assign(reinterpret_cast<const char*>(der), static_cast<size_t>(n));
  OPENSSL_free(der);
  auto from = EpochMs(X509_get0_notBefore(cert.get()));
  auto until = EpochMs(X509_get0_notAfter(cert.get()));
  if (!from || !until) return std::nullopt;
  out.not_before_ms = *from;
  out.not_after_ms = *until;
  return out;
}

}  // namespace arcana::crypto
