// libFuzzer target: SAML 2.0 XML as IAM and STS read it (crypto/saml_xml.h): an identity
// provider's metadata document (CreateSAMLProvider) and a signed SAML response
// (AssumeRoleWithSAML, after base64), both the caller's bytes, then the rules applied to a
// verified assertion (domain/iam/saml_assertion.h). Input: the XML. The seeds
// (fuzz/corpus/saml_xml_fuzzer) are tests/integration/saml_idp.py's metadata and responses
// signed by the key of kCertificate, so mutations reach the signature check and, while the
// signature still verifies, the assertion's rules. Nothing may crash, hang, leak or read out
// of bounds; a verified response must name its issuer.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/base64.h"
#include "crypto/saml_xml.h"
#include "domain/iam/saml_assertion.h"

namespace {

// The seeds' IdP certificate (RSA-1024, self-signed), DER in base64.
constexpr std::string_view kCertificate =
    "MIIBvTCCASagAwIBAgIUAdxnFz6+0BH8QPEt91Zd2Q30MEEwDQYJKoZIhvcNAQELBQAwGzEZMBcGA1UEAwwQaWRw"
    "LmV4YW1wbGUudGVzdDAeFw0yNjEyMDUwODQ5NDNaFw0yNzEyMDYwODQ5NDNaMBsxGTAXBgNVBAMMEGlkcC5leGFt"
    "cGxlLnRlc3QwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAMZdjwFtF46UhatKcV8N3H84TEfTJjFzEc6j6gXd"
    "hP7lsmR7VLBg3sQuT3GnlUpDo8gln6Tk8lPnL033LeZkVzgxNW0NIYBnhpeAwaDo16fPS0jIFt4JAPfDGCYyB2OQ"
    "BBQGt2esMAOp3aRK+ci06gaH1vh9LTGuir3unBvVusFvAgMBAAEwDQYJKoZIhvcNAQELBQADgYEAXIakZIEikPp/"
    "dtAQgHMct2pra0j5b9UiqcqKd8Hufe43CJYvdA2T+AkYMk7ngOwITFGQN6JtUnkvF0Mj9yHYJFO0VxTqi7KQQ7OV"
    "KeWpiPiqsWCo7l7THbuP4Cyj2uQT1Z2oI+qoVu2OE+OsGy4vvMUQHJp8sU/MVCHR/Vy7qh8=";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> certs = {*arcana::crypto::Base64Decode(kCertificate)};
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto metadata = arcana::crypto::ParseSamlMetadata(xml);
  if (metadata.ok() && (metadata->entity_id.empty() || metadata->signing_certificates.empty())) {
    std::abort();
  }
  auto assertion = arcana::crypto::VerifySamlResponse(xml, certs);
  if (!assertion.ok()) return 0;
  if (!assertion->signed_response && !assertion->signed_assertion) std::abort();
  const int64_t now = assertion->issue_instant_ms.value_or(0) + 1000;
  auto claims = arcana::domain::iam::CheckSamlAssertion(*assertion, assertion->issuer, "", now);
  if (claims.ok() && (claims->session_name.empty() || claims->subject.empty())) std::abort();
  return 0;
}
