// libFuzzer target: the PEM texts IAM takes from callers and hands to OpenSSL:
// UploadServerCertificate's CertificateBody, PrivateKey and CertificateChain
// (crypto/server_certificate.h) and CreateSAMLProvider's AddPrivateKey
// (crypto::NormalizeSamlPrivateKey). Input: body, key and chain separated by NUL bytes (a
// missing part is empty). Nothing may crash, hang, leak or read out of bounds; a certificate
// that passes must come back as PEM with its validity period.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "crypto/saml_xml.h"
#include "crypto/server_certificate.h"

namespace {

// The next NUL-separated part of `in` (the rest when there is no NUL), consumed.
std::string_view Part(std::string_view& in) {
  const size_t nul = in.find('\0');
  std::string_view part = in.substr(0, nul);
  in.remove_prefix(nul == std::string_view::npos ? in.size() : nul + 1);
  return part;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const std::string_view body = Part(in);
  const std::string_view key = Part(in);
  const std::string_view chain = Part(in);
  const auto check = arcana::crypto::CheckServerCertificate(body, key, chain);
  if (check.fault == arcana::crypto::ServerCertificateCheck::Fault::kNone &&
      (!check.body_pem.starts_with("-----BEGIN CERTIFICATE-----") ||
       check.not_after_ms < check.not_before_ms)) {
    std::abort();
  }
  auto normalized = arcana::crypto::NormalizeSamlPrivateKey(key);
  if (normalized && !normalized->starts_with("-----BEGIN PRIVATE KEY-----")) std::abort();
  return 0;
}
