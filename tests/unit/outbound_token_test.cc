// IAM outbound identity federation's tokens: the request rules and documents
// (domain/iam/outbound_token.h) and JWS signing with the JWK of the signing key
// (crypto/jws.h SignJws, PublicJwkOf), checked against the verifier AssumeRoleWithWebIdentity
// uses (VerifyJws).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "crypto/asymmetric.h"
#include "crypto/base64.h"
#include "crypto/jws.h"
#include "domain/iam/outbound_token.h"

namespace arcana {
namespace {

using domain::iam::TokenRequest;

TEST(OutboundTokenJws, SignsWhatTheVerifierAcceptsForBothAlgorithms) {
  for (const auto& [alg, spec] : {std::pair{"RS256", crypto::AsymmetricSpec::kRsa2048},
                                  {"ES384", crypto::AsymmetricSpec::kP384}}) {
    auto der = crypto::GenerateKeyPair(spec);
    ASSERT_TRUE(der.ok());
    auto jwk = crypto::PublicJwkOf(*der);
    ASSERT_TRUE(jwk.ok()) << jwk.status().message();
    const std::string input = "eyJhbGciOiJ4In0.eyJzdWIiOiJ4In0";
    auto sig = crypto::SignJws(alg, *der, input);
    ASSERT_TRUE(sig.ok()) << sig.status().message();
    if (std::string_view(alg) == "ES384") {
      EXPECT_EQ(sig->size(), 96u);  // r || s, 48 bytes each
      EXPECT_EQ(jwk->crv, "P-384");
      EXPECT_EQ(jwk->x.size(), 48u);
    } else {
      EXPECT_EQ(jwk->n.size(), 256u);
      EXPECT_EQ(jwk->e, std::string("\x01\x00\x01", 3));
    }
    auto ok = crypto::VerifyJws(alg, *jwk, input, *sig);
    ASSERT_TRUE(ok.ok());
    EXPECT_TRUE(*ok) << alg;
    auto tampered = crypto::VerifyJws(alg, *jwk, input + "x", *sig);
    ASSERT_TRUE(tampered.ok());
    EXPECT_FALSE(*tampered) << alg;
  }
}

TEST(OutboundTokenJws, RefusesAnAlgorithmTheKeyDoesNotFit) {
  auto rsa = crypto::GenerateKeyPair(crypto::AsymmetricSpec::kRsa2048);
  auto p256 = crypto::GenerateKeyPair(crypto::AsymmetricSpec::kP256);
  auto k256 = crypto::GenerateKeyPair(crypto::AsymmetricSpec::kSecp256k1);
  ASSERT_TRUE(rsa.ok() && p256.ok() && k256.ok());
  // secp256k1 is no JOSE curve: no JWK names it (its size alone would pass for P-256).
  EXPECT_EQ(crypto::PublicJwkOf(*k256).status().code(), ErrorCode::kValidation);
  EXPECT_EQ(crypto::PublicJwkOf(*p256)->crv, "P-256");
  EXPECT_EQ(crypto::SignJws("ES384", *rsa, "a.b").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(crypto::SignJws("ES384", *p256, "a.b").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(crypto::SignJws("HS256", *rsa, "a.b").status().code(), ErrorCode::kValidation);
  EXPECT_EQ(crypto::SignJws("RS256", "not a key", "a.b").status().code(),
            ErrorCode::kInternalFailure);
}

TEST(OutboundTokenRequest, AcceptsAKnownAlgorithmAndRefusesTheRest) {
  TokenRequest req;
  req.audience = {"https://api.example.com"};
  req.algorithm = "RS256";
  EXPECT_TRUE(domain::iam::CheckTokenRequest(req).ok());
  req.algorithm = "ES384";
  EXPECT_TRUE(domain::iam::CheckTokenRequest(req).ok());
  req.algorithm = "HS256";
  Status st = domain::iam::CheckTokenRequest(req);
  EXPECT_EQ(st.code(), ErrorCode::kValidation);
  EXPECT_NE(st.message().find("[RS256, ES384]"), std::string::npos);
}

TEST(OutboundTokenRequest, RefusesOriginIdentityScopeAndRepeatedTagKeys) {
  TokenRequest req;
  req.audience = {"a"};
  req.algorithm = "RS256";
  req.subject_mode = "OriginIdentity";
  EXPECT_EQ(domain::iam::CheckTokenRequest(req).code(), ErrorCode::kValidation);
  req.subject_mode = "AWSIdentity";
  req.scope = "read";
  EXPECT_EQ(domain::iam::CheckTokenRequest(req).code(), ErrorCode::kValidation);
  req.scope.reset();
  req.tags = {{"Team", "a"}, {"team", "b"}};
  EXPECT_EQ(domain::iam::CheckTokenRequest(req).code(), ErrorCode::kValidation);
  req.tags = {{"Team", "a"}, {"Env", "b"}};
  EXPECT_TRUE(domain::iam::CheckTokenRequest(req).ok());
}

TEST(OutboundTokenClaims, OneAudienceIsAStringSeveralAnArrayAndStsClaimsAreNamespaced) {
  domain::iam::TokenClaims c;
  c.issuer = "http://127.0.0.1:7770/_arcana/oidc/123456789012/x";
  c.audience = {"one"};
  c.subject = "arn:aws:iam::123456789012:role/R";
  c.issued_at_s = 100;
  c.expires_s = 400;
  c.token_id = "id";
  c.account = "123456789012";
  c.region = "eu-west-1";
  c.principal_arn = c.subject;
  c.request_tags = {{"job", "7"}};
  rapidjson::Document d;
  d.Parse(domain::iam::TokenClaimsJson(c).c_str());
  ASSERT_TRUE(d.IsObject());
  EXPECT_STREQ(d["aud"].GetString(), "one");
  EXPECT_EQ(d["exp"].GetInt64() - d["iat"].GetInt64(), 300);
  const auto& sts = d[domain::iam::kStsClaimsNamespace];
  EXPECT_STREQ(sts["aws_account"].GetString(), "123456789012");
  EXPECT_STREQ(sts["source_region"].GetString(), "eu-west-1");
  EXPECT_STREQ(sts["request_tags"]["job"].GetString(), "7");
  EXPECT_FALSE(sts.HasMember("principal_tags"));
  c.audience = {"one", "two"};
  d.Parse(domain::iam::TokenClaimsJson(c).c_str());
  ASSERT_TRUE(d["aud"].IsArray());
  EXPECT_EQ(d["aud"].Size(), 2u);
}

TEST(OutboundTokenDocuments, JwksPublishesEachKeyWithItsAlgorithm) {
  domain::iam::IssuerKey rsa{"k1", "RS256", {"RSA", "\x01\x02", "\x01\x00\x01", "", "", ""}};
  domain::iam::IssuerKey ec{"k2", "ES384", {"EC", "", "", "P-384", "xx", "yy"}};
  rapidjson::Document d;
  d.Parse(domain::iam::JwksJson({rsa, ec}).c_str());
  ASSERT_TRUE(d.IsObject());
  const auto& keys = d["keys"];
  ASSERT_EQ(keys.Size(), 2u);
  EXPECT_STREQ(keys[0]["kty"].GetString(), "RSA");
  EXPECT_STREQ(keys[0]["n"].GetString(), crypto::Base64UrlEncode("\x01\x02").c_str());
  EXPECT_STREQ(keys[0]["use"].GetString(), "sig");
  EXPECT_STREQ(keys[1]["crv"].GetString(), "P-384");
  EXPECT_STREQ(keys[1]["alg"].GetString(), "ES384");
  d.Parse(domain::iam::DiscoveryJson("https://h/i").c_str());
  EXPECT_STREQ(d["jwks_uri"].GetString(), "https://h/i/.well-known/jwks.json");
  EXPECT_STREQ(d["issuer"].GetString(), "https://h/i");
}

TEST(OutboundTokenDocuments, AnIssuerDocumentPathNamesAnAccountAnIssuerAndADocument) {
  auto p = domain::iam::ParseIssuerDocumentPath("123456789012/abc-1/.well-known/jwks.json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->account, "123456789012");
  EXPECT_EQ(p->issuer_id, "abc-1");
  EXPECT_TRUE(p->jwks);
  p = domain::iam::ParseIssuerDocumentPath("123456789012/abc-1/.well-known/openid-configuration");
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->jwks);
  for (const char* bad : {"", "123456789012", "12345678901/abc/.well-known/jwks.json",
                          "12345678901x/abc/.well-known/jwks.json",
                          "123456789012//.well-known/jwks.json",
                          "123456789012/a/b/.well-known/jwks.json",
                          "123456789012/abc/.well-known/jwks.json/",
                          "123456789012/abc/.well-known/other"}) {
    EXPECT_FALSE(domain::iam::ParseIssuerDocumentPath(bad)) << bad;
  }
}

}  // namespace
}  // namespace arcana
