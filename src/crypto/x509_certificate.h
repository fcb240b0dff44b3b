// X.509 certificates as IAM takes them (UploadSigningCertificate): one PEM certificate,
// parsed by OpenSSL, with the validity period IAM checks. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace arcana::crypto {

struct X509Summary {
  std::string der;             // the certificate's DER encoding (what makes two bodies the same)
  int64_t not_before_ms = 0;
  int64_t not_after_ms = 0;
};

// nullopt when `pem` holds no PEM certificate that OpenSSL parses (text around the PEM block
// is ignored, as PEM readers ignore it).
std::optional<X509Summary> ParseX509Pem(std::string_view pem);

}  // namespace arcana::crypto
