// SAML 2.0 XML as IAM and STS read it: an identity provider's metadata document
// (CreateSAMLProvider) and a signed SAML response (AssumeRoleWithSAML). Parsed by libxml2 and
// verified by xmlsec (its OpenSSL engine): only the content a valid signature covers is
// returned, read from the very element the signature's reference names, so an assertion
// wrapped beside a signed one is never read. The rules IAM applies to that content (times,
// audience, role attribute) are domain/iam/saml_assertion.h's.
//
// Every byte is the caller's: a document with a DOCTYPE is refused (no entity can expand and
// nothing is fetched), libxml2's depth bound applies, and a signature may only reference the
// same document through the canonicalization, enveloped-signature and digest transforms SAML
// uses (no XSLT, XPath or external URI).
// Thread-safety: pure functions; the libraries are initialised once on first use.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace arcana::crypto {

// The largest XML either parser takes (a metadata document's model bound is 10,000,000
// characters; a SAML response arrives base64-encoded within 100,000).
inline constexpr size_t kMaxSamlXmlBytes = 10'000'000;

struct SamlMetadata {
  std::string entity_id;                          // the IdP's EntityDescriptor entityID
  std::vector<std::string> signing_certificates;  // DER, from signing (or unmarked) KeyDescriptors
  std::optional<int64_t> valid_until_ms;          // EntityDescriptor validUntil, if any
};

// The first EntityDescriptor (alone or in an EntitiesDescriptor) with an IDPSSODescriptor.
// kInvalidParameter (message "Could not parse metadata") when the document is no such
// metadata or holds no certificate.
Result<SamlMetadata> ParseSamlMetadata(std::string_view xml);

struct SamlSubjectConfirmation {
  std::string method;     // urn:oasis:names:tc:SAML:2.0:cm:bearer
  std::string recipient;  // SubjectConfirmationData Recipient
  std::optional<int64_t> not_on_or_after_ms;
  std::optional<int64_t> not_before_ms;
};

struct SamlAttribute {
  std::string name;
  std::vector<std::string> values;
};

// What a verified SAML response asserts (the one Assertion of the response).
struct SamlAssertion {
  std::string response_issuer;  // Response Issuer ("" when absent)
  std::string destination;      // Response Destination ("" when absent)
  std::string status;           // Response StatusCode Value
  std::string issuer;           // Assertion Issuer
  std::optional<int64_t> issue_instant_ms;  // Assertion IssueInstant
  std::string name_id;          // Subject NameID
  std::string name_id_format;   // its Format ("" when absent)
  std::vector<SamlSubjectConfirmation> confirmations;
  std::optional<int64_t> not_before_ms;       // Conditions NotBefore
  std::optional<int64_t> not_on_or_after_ms;  // Conditions NotOnOrAfter
  std::vector<std::string> audiences;         // every AudienceRestriction's Audience
  std::vector<SamlAttribute> attributes;      // AttributeStatement, in document order
  bool signed_response = false;               // the Response's signature verified
  bool signed_assertion = false;              // the Assertion's own signature verified
};

// How a provider takes assertions (IAM's AssertionEncryptionMode and private keys).
struct SamlDecryption {
  // PEM RSA private keys (NormalizeSamlPrivateKey's form) that may decrypt an
  // EncryptedAssertion (XML Encryption: the content key wrapped with RSA-OAEP or RSA 1.5 in the
  // EncryptedData's KeyInfo, the assertion under AES-CBC or AES-GCM); none: encrypted
  // assertions are refused.
  std::vector<std::string_view> private_keys;
  bool required = false;  // "Required": a plaintext assertion is refused
};

// The response's assertion (decrypted first when it is an EncryptedAssertion) when the
// Response or the Assertion carries an enveloped XML signature that verifies with one of
// `certificates` (DER X.509); a Response signature is verified before anything is decrypted.
// kInvalidIdentityToken with a message saying what is wrong otherwise (not XML, not a SAML
// response, no or several assertions, an assertion that is not or cannot be decrypted);
// "Response signature invalid", AWS's words, when neither is signed or no signature verifies.
Result<SamlAssertion> VerifySamlResponse(std::string_view xml,
                                         const std::vector<std::string>& certificates,
                                         const SamlDecryption& decryption = {});

// An RSA private key as AddPrivateKey takes it (an unencrypted PEM: PKCS#1 or PKCS#8), written
// again as PKCS#8 PEM; nullopt for anything else. The returned text is the caller's to wipe.
std::optional<std::string> NormalizeSamlPrivateKey(std::string_view pem);

// AssumeRoleWithSAML's NameQualifier (and saml:namequalifier): BASE64(SHA1(issuer + account +
// "/" + provider name)), as the API reference defines it.
std::string SamlNameQualifier(std::string_view issuer, std::string_view account,
                              std::string_view provider_name);

}  // namespace arcana::crypto
