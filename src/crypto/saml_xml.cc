#include "crypto/saml_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlenc.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include <memory>

#include "common/iso8601.h"
#include "crypto/base64.h"

namespace arcana::crypto {
namespace {

constexpr const char* kProtocolNs = "urn:oasis:names:tc:SAML:2.0:protocol";
constexpr const char* kAssertionNs = "urn:oasis:names:tc:SAML:2.0:assertion";
constexpr const char* kMetadataNs = "urn:oasis:names:tc:SAML:2.0:metadata";
constexpr const char* kDsigNs = "http://www.w3.org/2000/09/xmldsig#";
constexpr const char* kXencNs = "http://www.w3.org/2001/04/xmlenc#";

struct DocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using Doc = std::unique_ptr<xmlDoc, DocFree>;
struct DsigCtxFree {
  void operator()(xmlSecDSigCtx* c) const { xmlSecDSigCtxDestroy(c); }
};
struct EncCtxFree {
  void operator()(xmlSecEncCtx* c) const { xmlSecEncCtxDestroy(c); }
};
struct KeysMngrFree {
  void operator()(xmlSecKeysMngr* m) const { xmlSecKeysMngrDestroy(m); }
};

// xmlsec reports every failure through this callback; a refused signature is an answer, not
// a log line (and the text would be the caller's).
void Quiet(const char*, int, const char*, const char*, const char*, int, const char*) {}

// Whether xmlsec and its OpenSSL engine are ready (once per process).
bool InitXmlsec() {
  static bool ok = [] {
    xmlInitParser();
    xmlSecErrorsSetCallback(Quiet);
    if (xmlSecInit() < 0) return false;
    if (xmlSecCheckVersion() != 1) return false;
    if (xmlSecCryptoAppInit(nullptr) < 0) return false;
    return xmlSecCryptoInit() >= 0;
  }();
  return ok;
}

bool Is(const xmlNode* n, const char* ns, const char* name) {
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr &&
         xmlStrEqual(n->ns->href, BAD_CAST ns) && xmlStrEqual(n->name, BAD_CAST name);
}

// The element children of `n` named ns:name, in order.
std::vector<xmlNode*> Children(const xmlNode* n, const char* ns, const char* name) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) out.push_back(c);
  }
  return out;
}

xmlNode* Child(const xmlNode* n, const char* ns, const char* name) {
  for (xmlNode* c = n->children; c != nullptr; c = c->next) {
    if (Is(c, ns, name)) return c;
  }
  return nullptr;
}

std::string Attr(const xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, BAD_CAST name);
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string Text(const xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string Trimmed(std::string s) {
  const auto ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

// An optional time attribute: nullopt when absent; `bad` set when present but no xs:dateTime.
std::optional<int64_t> TimeAttr(const xmlNode* n, const char* name, bool* bad) {
  const std::string v = Attr(n, name);
  if (v.empty()) return std::nullopt;
  auto ms = ParseIso8601Ms(v);
  if (!ms) *bad = true;
  return ms;
}

// libxml2 over caller bytes: no network, no DTD (a DOCTYPE is refused before parsing, so no
// entity is declared or expanded), no messages printed.
Doc ParseXml(std::string_view xml) {
  if (xml.empty() || xml.size() > kMaxSamlXmlBytes) return nullptr;
  if (xml.find("<!DOCTYPE") != std::string_view::npos ||
      xml.find("<!ENTITY") != std::string_view::npos) {
    return nullptr;
  }
  Doc doc(xmlReadMemory(xml.data(), static_cast<int>(xml.size()), nullptr, nullptr,
                        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING));
  if (doc && doc->intSubset != nullptr) return nullptr;
  return doc;
}

Status BadToken(const std::string& why) {
  return Status(ErrorCode::kInvalidIdentityToken, why);
}

// The elements in the subtree of `n` whose ID attribute is `id` (at most two are counted).
int CountIds(const xmlNode* n, const xmlChar* id) {
  int count = 0;
  for (const xmlNode* c = n; c != nullptr && count < 2; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    xmlChar* v = xmlGetProp(c, BAD_CAST "ID");
    if (v != nullptr) {
      if (xmlStrEqual(v, id)) ++count;
      xmlFree(v);
    }
    if (c->children != nullptr) count += CountIds(c->children, id);
  }
  return count;
}

// Whether `element`'s own enveloped signature verifies with one of the certificates: the
// Signature is a direct child of the element, its one Reference is "#<the element's ID>", and
// no other element of the document has that ID (the reference then covers what is read).
bool SignatureVerifies(xmlDoc* doc, xmlNode* element, const std::vector<std::string>& certs) {
  xmlNode* sig = Child(element, kDsigNs, "Signature");
  if (sig == nullptr) return false;
  const std::string id = Attr(element, "ID");
  if (id.empty()) return false;
  if (CountIds(xmlDocGetRootElement(doc), BAD_CAST id.c_str()) != 1) return false;
  for (const auto& der : certs) {
    std::unique_ptr<xmlSecDSigCtx, DsigCtxFree> ctx(xmlSecDSigCtxCreate(nullptr));
    if (!ctx) return false;
    ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
    // The transforms a SAML signature uses, and nothing else (no XSLT, XPath or base64).
    for (xmlSecTransformId t : {xmlSecTransformEnvelopedId, xmlSecTransformExclC14NId,
                                xmlSecTransformExclC14NWithCommentsId, xmlSecTransformInclC14NId,
                                xmlSecTransformInclC14NWithCommentsId, xmlSecTransformSha1Id,
                                xmlSecTransformSha256Id, xmlSecTransformSha384Id,
                                xmlSecTransformSha512Id}) {
      if (xmlSecDSigCtxEnableReferenceTransform(ctx.get(), t) < 0) return false;
    }
    for (xmlSecTransformId t :
         {xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
          xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId,
          xmlSecTransformRsaSha1Id, xmlSecTransformRsaSha256Id, xmlSecTransformRsaSha384Id,
          xmlSecTransformRsaSha512Id, xmlSecTransformEcdsaSha256Id,
          xmlSecTransformEcdsaSha384Id, xmlSecTransformEcdsaSha512Id}) {
      if (xmlSecDSigCtxEnableSignatureTransform(ctx.get(), t) < 0) return false;
    }
    // The provider's certificate is the key: a KeyInfo in the signature is not consulted.
    ctx->signKey = xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(der.data()),
                                                static_cast<xmlSecSize>(der.size()),
                                                xmlSecKeyDataFormatCertDer, nullptr, nullptr,
                                                nullptr);
    if (ctx->signKey == nullptr) continue;
    if (xmlSecDSigCtxVerify(ctx.get(), sig) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
      continue;
    }
    if (xmlSecPtrListGetSize(&ctx->signedInfoReferences) != 1) return false;
    auto* ref = static_cast<xmlSecDSigReferenceCtxPtr>(
        xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
    if (ref == nullptr || ref->uri == nullptr || ref->status != xmlSecDSigStatusSucceeded) {
      return false;
    }
    return "#" + id == reinterpret_cast<const char*>(ref->uri);
  }
  return false;
}

// Decrypts the EncryptedData of `encrypted` (an EncryptedAssertion) in place with one of the
// keys: on success the EncryptedData element is replaced by the plaintext Assertion. Only a
// content key wrapped in the EncryptedData's own KeyInfo is looked for (no RetrievalMethod or
// external reference); every failure is one answer, so nothing tells a padding error from a
// wrong key.
bool Decrypt(xmlNode* encrypted, const std::vector<std::string_view>& keys) {
  xmlNode* data = Child(encrypted, kXencNs, "EncryptedData");
  if (data == nullptr) return false;
  for (std::string_view pem : keys) {
    std::unique_ptr<xmlSecKeysMngr, KeysMngrFree> mngr(xmlSecKeysMngrCreate());
    if (!mngr || xmlSecCryptoAppDefaultKeysMngrInit(mngr.get()) < 0) return false;
    xmlSecKeyPtr key = xmlSecCryptoAppKeyLoadMemory(reinterpret_cast<const xmlSecByte*>(pem.data()),
                                                    static_cast<xmlSecSize>(pem.size()),
                                                    xmlSecKeyDataFormatPem, nullptr, nullptr,
                                                    nullptr);
    if (key == nullptr) continue;
    if (xmlSecCryptoAppDefaultKeysMngrAdoptKey(mngr.get(), key) < 0) {
      xmlSecKeyDestroy(key);
      continue;
    }
    std::unique_ptr<xmlSecEncCtx, EncCtxFree> ctx(xmlSecEncCtxCreate(mngr.get()));
    if (!ctx) return false;
    // No external or same-document retrieval of keys: the wrapped key is inline.
    ctx->keyInfoReadCtx.retrievalMethodCtx.enabledUris = xmlSecTransformUriTypeNone;
    if (xmlSecEncCtxDecrypt(ctx.get(), data) >= 0 && ctx->resultReplaced) return true;
  }
  return false;
}

}  // namespace

Result<SamlMetadata> ParseSamlMetadata(std::string_view xml) {
  const Status bad(ErrorCode::kInvalidParameter, "Could not parse metadata");
  if (!InitXmlsec()) return Status(ErrorCode::kInternalFailure, "XML support is unavailable");
  Doc doc = ParseXml(xml);
  if (!doc) return bad;
  xmlNode* root = xmlDocGetRootElement(doc.get());
  std::vector<xmlNode*> entities;
  if (Is(root, kMetadataNs, "EntityDescriptor")) {
    entities.push_back(root);
  } else if (Is(root, kMetadataNs, "EntitiesDescriptor")) {
    entities = Children(root, kMetadataNs, "EntityDescriptor");
  }
  for (xmlNode* entity : entities) {
    xmlNode* idp = Child(entity, kMetadataNs, "IDPSSODescriptor");
    if (idp == nullptr) continue;
    SamlMetadata m;
    m.entity_id = Attr(entity, "entityID");
    if (m.entity_id.empty()) return bad;
    bool bad_time = false;
    m.valid_until_ms = TimeAttr(entity, "validUntil", &bad_time);
    if (bad_time) return bad;
    for (xmlNode* kd : Children(idp, kMetadataNs, "KeyDescriptor")) {
      const std::string use = Attr(kd, "use");
      if (!use.empty() && use != "signing") continue;
      xmlNode* info = Child(kd, kDsigNs, "KeyInfo");
      if (info == nullptr) continue;
      for (xmlNode* data : Children(info, kDsigNs, "X509Data")) {
        for (xmlNode* cert : Children(data, kDsigNs, "X509Certificate")) {
          std::string b64;
          for (char c : Text(cert)) {
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') b64.push_back(c);
          }
          auto der = Base64Decode(b64);
          if (!der || der->empty()) return bad;
          m.signing_certificates.push_back(std::move(*der));
        }
      }
    }
    if (m.signing_certificates.empty()) return bad;
    return m;
  }
  return bad;
}

Result<SamlAssertion> VerifySamlResponse(std::string_view xml,
                                         const std::vector<std::string>& certificates,
                                         const SamlDecryption& decryption) {
  if (!InitXmlsec()) return Status(ErrorCode::kInternalFailure, "XML signature support is unavailable");
  Doc doc = ParseXml(xml);
  if (!doc) return BadToken("Invalid SAML response: it is not well-formed XML");
  xmlNode* response = xmlDocGetRootElement(doc.get());
  if (!Is(response, kProtocolNs, "Response")) {
    return BadToken("Invalid SAML response: its root element is not a SAML 2.0 Response");
  }
  const std::vector<xmlNode*> plain = Children(response, kAssertionNs, "Assertion");
  const std::vector<xmlNode*> encrypted = Children(response, kAssertionNs, "EncryptedAssertion");
  if (plain.size() + encrypted.size() != 1) {
    return BadToken("Invalid SAML response: it must hold exactly one Assertion");
  }
  // A reference "#X" resolves through the document's ID attributes, which a document without
  // a DTD declares none of: SAML's are the attributes named ID.
  const xmlChar* id_attrs[] = {BAD_CAST "ID", nullptr};
  xmlSecAddIDs(doc.get(), response, id_attrs);

  SamlAssertion a;
  // The Response's signature covers the EncryptedAssertion as sent: checked before decrypting.
  a.signed_response = SignatureVerifies(doc.get(), response, certificates);
  xmlNode* assertion = nullptr;
  if (!encrypted.empty()) {
    if (decryption.private_keys.empty()) {
      return BadToken("Invalid SAML response: the assertion is encrypted and the provider has "
                      "no private key to decrypt it");
    }
    // Unless the Response was signed, nothing has vouched for these bytes yet: every way
    // they can fail from here on gets one answer, so that a caller replaying a captured
    // response with altered ciphertext learns nothing of the plaintext from the error (the
    // padding oracle of XML Encryption's CBC mode, Jager and Somorovsky 2011).
    auto unproven = [&](const char* what) {
      return a.signed_response ? BadToken(std::string("Invalid SAML response: ") + what)
                               : BadToken("Response signature invalid");
    };
    if (!Decrypt(encrypted.front(), decryption.private_keys)) {
      return unproven("the encrypted assertion could not be decrypted with the provider's "
                      "private keys");
    }
    const std::vector<xmlNode*> inside = Children(encrypted.front(), kAssertionNs, "Assertion");
    if (inside.size() != 1) return unproven("the encrypted assertion holds no Assertion");
    assertion = inside.front();
    xmlSecAddIDs(doc.get(), assertion, id_attrs);
  } else {
    if (decryption.required) {
      return BadToken("Invalid SAML response: the provider requires encrypted assertions");
    }
    assertion = plain.front();
  }
  a.signed_assertion = SignatureVerifies(doc.get(), assertion, certificates);
  if (!a.signed_response && !a.signed_assertion) {
    // AWS's text for a signature that does not verify (InvalidIdentityToken, the IAM User
    // Guide's troubleshooting page); an unsigned response is refused in the same words.
    return BadToken("Response signature invalid");
  }

  if (xmlNode* issuer = Child(response, kAssertionNs, "Issuer")) {
    a.response_issuer = Trimmed(Text(issuer));
  }
  a.destination = Attr(response, "Destination");
  if (xmlNode* status = Child(response, kProtocolNs, "Status")) {
    if (xmlNode* code = Child(status, kProtocolNs, "StatusCode")) a.status = Attr(code, "Value");
  }
  if (xmlNode* issuer = Child(assertion, kAssertionNs, "Issuer")) {
    a.issuer = Trimmed(Text(issuer));
  }
  bool bad_time = false;
  a.issue_instant_ms = TimeAttr(assertion, "IssueInstant", &bad_time);
  if (xmlNode* subject = Child(assertion, kAssertionNs, "Subject")) {
    if (xmlNode* id = Child(subject, kAssertionNs, "NameID")) {
      a.name_id = Trimmed(Text(id));
      a.name_id_format = Attr(id, "Format");
    }
    for (xmlNode* sc : Children(subject, kAssertionNs, "SubjectConfirmation")) {
      SamlSubjectConfirmation c;
      c.method = Attr(sc, "Method");
      if (xmlNode* data = Child(sc, kAssertionNs, "SubjectConfirmationData")) {
        c.recipient = Attr(data, "Recipient");
        c.not_on_or_after_ms = TimeAttr(data, "NotOnOrAfter", &bad_time);
        c.not_before_ms = TimeAttr(data, "NotBefore", &bad_time);
      }
      a.confirmations.push_back(std::move(c));
    }
  }
  if (xmlNode* conditions = Child(assertion, kAssertionNs, "Conditions")) {
    a.not_before_ms = TimeAttr(conditions, "NotBefore", &bad_time);
    a.not_on_or_after_ms = TimeAttr(conditions, "NotOnOrAfter", &bad_time);
    for (xmlNode* r : Children(conditions, kAssertionNs, "AudienceRestriction")) {
      for (xmlNode* aud : Children(r, kAssertionNs, "Audience")) {
        a.audiences.push_back(Trimmed(Text(aud)));
      }
    }
  }
  if (bad_time) return BadToken("Invalid SAML response: a time in it is not an xs:dateTime");
  for (xmlNode* st : Children(assertion, kAssertionNs, "AttributeStatement")) {
    for (xmlNode* attr : Children(st, kAssertionNs, "Attribute")) {
      SamlAttribute out;
      out.name = Attr(attr, "Name");
      for (xmlNode* v : Children(attr, kAssertionNs, "AttributeValue")) {
        out.values.push_back(Trimmed(Text(v)));
      }
      a.attributes.push_back(std::move(out));
    }
  }
  return a;
}

std::optional<std::string> NormalizeSamlPrivateKey(std::string_view pem) {
  if (pem.empty() || pem.size() > 16384) return std::nullopt;
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  if (!in) return std::nullopt;
  // No passphrase callback: an encrypted key fails to load instead of prompting.
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, [](char*, int, int, void*) { return 0; },
                              nullptr),
      EVP_PKEY_free);
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA || EVP_PKEY_get_bits(key.get()) < 1024) {
    return std::nullopt;
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_secmem()), BIO_free);
  if (!out || PEM_write_bio_PrivateKey(out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                       nullptr) != 1) {
    return std::nullopt;
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(out.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string SamlNameQualifier(std::string_view issuer, std::string_view account,
                              std::string_view provider_name) {
  const std::string text = std::string(issuer) + std::string(account) + "/" +
                           std::string(provider_name);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

}  // namespace arcana::crypto
