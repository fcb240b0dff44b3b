// SAML: the XML reader's refusals (crypto/saml_xml.h) and the rules AssumeRoleWithSAML applies
// to a verified assertion (domain/iam/saml_assertion.h). Signed responses are exercised end to
// end by tests/integration/test_sts_saml.py (an IdP signing with python3-xmlsec).
#include <gtest/gtest.h>

#include "crypto/saml_xml.h"
#include "domain/iam/saml_assertion.h"

namespace {

using arcana::ErrorCode;
using arcana::crypto::SamlAssertion;
using arcana::domain::iam::CheckSamlAssertion;
using arcana::domain::iam::OffersRole;

constexpr int64_t kNow = 1'800'000'000'000;
constexpr const char* kIssuer = "http://idp.example.test/saml";
constexpr const char* kRole = "arn:aws:iam::123456789012:role/Dev";
constexpr const char* kProvider = "arn:aws:iam::123456789012:saml-provider/Okta";

SamlAssertion Good() {
  SamlAssertion a;
  a.issuer = kIssuer;
  a.status = "urn:oasis:names:tc:SAML:2.0:status:Success";
  a.issue_instant_ms = kNow - 1000;
  a.name_id = "alice@example.test";
  a.name_id_format = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
  a.confirmations.push_back({"urn:oasis:names:tc:SAML:2.0:cm:bearer",
                             "https://signin.aws.amazon.com/saml", kNow + 60'000, std::nullopt});
  a.not_before_ms = kNow - 1000;
  a.not_on_or_after_ms = kNow + 60'000;
  a.audiences = {"urn:amazon:webservices"};
  a.attributes = {
      {"https://aws.amazon.com/SAML/Attributes/Role", {std::string(kProvider) + ", " + kRole}},
      {"https://aws.amazon.com/SAML/Attributes/RoleSessionName", {"alice"}},
      {"urn:oid:1.3.6.1.4.1.5923.1.1.1.1", {"staff", "member"}},
  };
  a.signed_assertion = true;
  return a;
}

TEST(Saml, NameQualifierIsTheApiReferencesHash) {
  // The API reference's inputs: BASE64(SHA1("https://example.com/saml" + "123456789012" +
  // "/MySAMLIdP")).
  EXPECT_EQ(arcana::crypto::SamlNameQualifier("https://example.com/saml", "123456789012",
                                              "MySAMLIdP"),
            "1uAJanUnBc2XeUkHURMht+xam2c=");
}

TEST(Saml, AGoodAssertionsClaims) {
  auto c = CheckSamlAssertion(Good(), kIssuer, "", kNow);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->subject, "alice@example.test");
  EXPECT_EQ(c->subject_type, "persistent");
  EXPECT_EQ(c->recipient, "https://signin.aws.amazon.com/saml");
  EXPECT_EQ(c->session_name, "alice");
  // The pair in either order, spaces after the comma trimmed.
  EXPECT_TRUE(OffersRole(*c, kRole, kProvider));
  EXPECT_FALSE(OffersRole(*c, "arn:aws:iam::123456789012:role/Other", kProvider));
  EXPECT_EQ(c->attribute_keys.at("saml:edupersonaffiliation"),
            (std::vector<std::string>{"staff", "member"}));
}

TEST(Saml, OtherFormatsAreAnsweredAsGiven) {
  auto a = Good();
  a.name_id_format = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
  EXPECT_EQ(CheckSamlAssertion(a, kIssuer, "", kNow)->subject_type, a.name_id_format);
}

TEST(Saml, RefusalsInAwsWords) {
  auto refused = [](SamlAssertion a, int64_t now = kNow) {
    auto c = CheckSamlAssertion(a, kIssuer, "", now);
    EXPECT_FALSE(c.ok());
    return std::make_pair(c.status().code(), c.status().message());
  };
  auto a = Good();
  a.issuer = "http://elsewhere.test";
  EXPECT_EQ(refused(a), std::make_pair(ErrorCode::kInvalidIdentityToken,
                                       std::string("Issuer not present in specified provider")));
  EXPECT_EQ(refused(Good(), kNow + 60'000),
            std::make_pair(ErrorCode::kWebIdentityTokenExpired,
                           std::string("Response has expired")));
  a = Good();
  a.issue_instant_ms = kNow - 6 * 60'000;
  EXPECT_EQ(refused(a), std::make_pair(ErrorCode::kWebIdentityTokenExpired,
                                       std::string("Token must be redeemed within 5 minutes "
                                                   "of issuance")));
  a = Good();
  a.attributes.erase(a.attributes.begin() + 1);
  EXPECT_EQ(refused(a), std::make_pair(ErrorCode::kInvalidIdentityToken,
                                       std::string("RoleSessionName is required in "
                                                   "AuthnResponse")));
  a = Good();
  a.name_id.clear();
  EXPECT_EQ(refused(a).first, ErrorCode::kAccessDenied);
  a = Good();
  a.confirmations[0].recipient = "https://evil.test/acs";
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
  a = Good();
  a.confirmations[0].method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key";
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
  a = Good();
  a.audiences = {"https://evil.test"};
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
  a = Good();
  a.not_before_ms = kNow + 10 * 60'000;
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
  a = Good();
  a.attributes.push_back({"https://aws.amazon.com/SAML/Attributes/SessionDuration", {"899"}});
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
  a = Good();
  a.attributes.push_back({"https://aws.amazon.com/SAML/Attributes/SourceIdentity", {"aws:x"}});
  EXPECT_EQ(refused(a).first, ErrorCode::kInvalidIdentityToken);
}

TEST(Saml, RegionalSignInEndpointsAreAws) {
  auto a = Good();
  a.confirmations[0].recipient = "https://eu-west-1.signin.aws.amazon.com/saml";
  EXPECT_TRUE(CheckSamlAssertion(a, kIssuer, "", kNow).ok());
  a.confirmations[0].recipient = "https://evil.test/.signin.aws.amazon.com/saml";
  EXPECT_FALSE(CheckSamlAssertion(a, kIssuer, "", kNow).ok());
  // A provider's own assertion consumer service (the endpoint IdPs encrypting for it post to).
  a.confirmations[0].recipient = "https://us-east-1.signin.aws.amazon.com/saml/acs/SAMLPX";
  EXPECT_TRUE(CheckSamlAssertion(a, kIssuer, "SAMLPX", kNow).ok());
  EXPECT_FALSE(CheckSamlAssertion(a, kIssuer, "SAMLPY", kNow).ok());
}

TEST(SamlXml, HostileOrUnsignedResponsesAreRefused) {
  const std::string response =
      "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" "
      "xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"r\">"
      "<saml:Assertion ID=\"a\"><saml:Issuer>x</saml:Issuer></saml:Assertion>"
      "</samlp:Response>";
  auto unsigned_ = arcana::crypto::VerifySamlResponse(response, {});
  ASSERT_FALSE(unsigned_.ok());
  EXPECT_EQ(unsigned_.status().message(), "Response signature invalid");
  for (const std::string bad :
       {std::string("not xml"), "<!DOCTYPE r [<!ENTITY x \"y\">]>" + response,
        std::string("<r/>"),
        // Two assertions.
        response.substr(0, response.find("</samlp:Response>")) +
            "<saml:Assertion ID=\"b\"/></samlp:Response>"}) {
    auto r = arcana::crypto::VerifySamlResponse(bad, {});
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), ErrorCode::kInvalidIdentityToken);
    EXPECT_NE(r.status().message(), "Response signature invalid") << bad;
  }
}

TEST(SamlXml, MetadataWithoutASigningCertificateIsRefused) {
  const std::string md =
      "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"e\">"
      "<md:IDPSSODescriptor/></md:EntityDescriptor>";
  EXPECT_EQ(arcana::crypto::ParseSamlMetadata(md).status().code(), ErrorCode::kInvalidParameter);
  EXPECT_FALSE(arcana::crypto::ParseSamlMetadata("<!DOCTYPE x>" + md).ok());
}

}  // namespace
