// libFuzzer target: SAML 2.0 XML as IAM and STS read it (crypto/saml_xml.h): an identity
// provider's metadata document (CreateSAMLProvider) and a signed SAML response
// (AssumeRoleWithSAML, after base64), both the caller's bytes, then the rules applied to a
// verified assertion (domain/iam/saml_assertion.h). Input: the XML. The seeds
// (fuzz/corpus/saml_xml_fuzzer) are tests/integration/saml_idp.py's metadata and responses
// signed by the key of kCertificate (some also encrypted for kDecryptionKey), so mutations
// reach the XML Encryption and signature checks and, while the signature still verifies, the
// assertion's rules. Nothing may crash, hang, leak or read out of bounds; a verified response
// must be signed.
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
    "MIIBvTCCASagAwIBAgIUUpP92ZKA3w14eDPz/Cnc+T1MeO4wDQYJKoZIhvcNAQELBQAwGzEZMBcGA1UEAwwQaWRw"
    "LmV4YW1wbGUudGVzdDAeFw0yNjEyMDUwOTI0MDVaFw0yNzEyMDYwOTI0MDVaMBsxGTAXBgNVBAMMEGlkcC5leGFt"
    "cGxlLnRlc3QwgZ8wDQYJKoZIhvcNAQEBBQADgY0AMIGJAoGBAM/YqISez0ejRNoMmhBRyA59wpIuRy6ksiqsed8r"
    "8wm7kQjnJbGhwn6e+29lZV6/A6YXeQaJnNZzmR37yHrx+iNT5GcdGPunfWLUToztKJAA3JFx33OSMGPMrZqKeXc4"
    "Md/cBtOUBhI0gHRjZsjHKE6Koe24rhkUAfqKoGLGrpPFAgMBAAEwDQYJKoZIhvcNAQELBQADgYEAIXUeanpbWMyW"
    "rC7hBQUdCd4obueh0bsofdN/tqaRpqUN2smZ7dqV3hwN7snQsAgaSIklYo60T/10Rbnq5GOpUfauuKaLNx+LDX7u"
    "JALXfqpbGJClfvG6fmpbWq+T1TwITKfrQqhAaqumgTzUeslnINdP7poJqzNEUqLKzrl+3uU=";

// The private key the encrypted seeds are encrypted for (RSA-1024, PKCS#8; a test key).
constexpr std::string_view kDecryptionKey =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBALvuSI5UOlrWQGzH\n"
    "jchhGBl3lfoKKaoqd6j2FGQ7k+NGvcvZrj91DPev9/UW8u4ZpIsackYFisMqfCit\n"
    "Yacib4r7koizHBYYEFmzNnFyv1wAwWj2RNtmjEhwxQacS/OLTgLiXMth2YebgJ/Z\n"
    "GRXQsIhfd+Uv3ymcOomK70VkyYixAgMBAAECgYBfXnr/j4rVkii7i0FOUMeUFPXN\n"
    "H98o9cgnvEl43CseiUXD70HX/iSIhYpFnFHHtsejt9YJ5sIWbLb5RZNq57TGaljN\n"
    "AlvzxsSQ9ggb7NaoKa3ISY47k9yrbpnjU06E7Xpd/2b8b18SAVCcidCEOD1Bhu9U\n"
    "7WfTSuKn1VB9dg8MYQJBAOC4Q3Vw2sjdhTp4JBPtsIhSkMz+q6DBATC1bSzTmsZU\n"
    "3DWdj9XGafFVZlaKapES9e/U6m+U7ScZNjQH0tWNqRUCQQDWFxHIVneHO6NLzDgu\n"
    "CzklaMdylIWg7+COpCTvEDbug4n1JCGenSKOq0Om4YIPxcUFmyj1623+FSh7CH6A\n"
    "a5AtAkEAh1XRoq/lw2TNsMncCHh0gZUgCaUyXaz+94O8DWwe4WUH/e43Sqqk8Sfa\n"
    "azIPPfGqVdbnnW2WaZ6gazNvARfAhQJBALqEDrIC4s+mXXXDzY4PqRG2X0yrqF+1\n"
    "nGWpC6Ra9ACICMDRYZjWPS0eeCoDfVRQcH2Z1+2n1oPt2v6VP+CR1WECQQCWT4wa\n"
    "y6FT6C004ZrdI8ynydJDArjoiDtDbzYnSsHNbbWCPprQ/oT8w7TpB9xDa8pRjik2\n"
    "y1BzUOSnCjkXkwxH\n"
    "-----END PRIVATE KEY-----\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<std::string> certs = {*arcana::crypto::Base64Decode(kCertificate)};
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto metadata = arcana::crypto::ParseSamlMetadata(xml);
  if (metadata.ok() && (metadata->entity_id.empty() || metadata->signing_certificates.empty())) {
    std::abort();
  }
  arcana::crypto::SamlDecryption decryption;
  decryption.private_keys = {kDecryptionKey};
  auto assertion = arcana::crypto::VerifySamlResponse(xml, certs, decryption);
  if (!assertion.ok()) return 0;
  if (!assertion->signed_response && !assertion->signed_assertion) std::abort();
  const int64_t now = assertion->issue_instant_ms.value_or(0) + 1000;
  auto claims = arcana::domain::iam::CheckSamlAssertion(*assertion, assertion->issuer, "", now);
  if (claims.ok() && (claims->session_name.empty() || claims->subject.empty())) std::abort();
  return 0;
}
