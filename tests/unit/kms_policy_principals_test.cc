// The forms an "AWS" principal of a KMS key policy may take (domain::kms::ValidateKeyPolicy):
// AWS answers any other with MalformedPolicyDocumentException "Policy contains a statement
// with one or more invalid principals.". Whether a named user or role exists is the service's
// look-up (tests/integration/test_kms_key_states_and_principals.py).
#include <gtest/gtest.h>

#include <string>

#include "domain/kms/rules.h"

namespace arcana::domain::kms {
namespace {

std::string Naming(const std::string& aws) {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":)" + aws +
         R"(},"Action":"kms:*","Resource":"*"}]})";
}

TEST(KmsPolicyPrincipals, PrincipalForms) {
  for (const char* ok :
       {"*", "123456789012", "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:user/u",
        "arn:aws:iam::123456789012:user/a/b/u", "arn:aws:iam::123456789012:role/r",
        "arn:aws:sts::123456789012:assumed-role/r/session",
        "arn:aws:sts::123456789012:federated-user/f", "AIDAJQABLZS4A3QDU576Q",
        "AROAJQABLZS4A3QDU576Q"}) {
    EXPECT_TRUE(IsKeyPolicyAwsPrincipal(ok)) << ok;
  }
  for (const char* bad :
       {"arn:aws:iam:123456789012:root", "not-an-arn", "", "12345678901",
        "arn:aws:iam::12345:root", "arn:aws:iam::123456789012:", "arn:aws:iam::123456789012:user/",
        "arn:aws:iam::123456789012:user/*", "arn:aws:iam::*:root",
        "arn:aws:iam::123456789012:group/g", "arn:aws:iam::123456789012:policy/p",
        "arn:aws:iam:us-east-1:123456789012:root", "arn:aws:s3:::bucket",
        "arn:aws:sts::123456789012:assumed-role/r", "arn:aws:sts::123456789012:root"}) {
    EXPECT_FALSE(IsKeyPolicyAwsPrincipal(bad)) << bad;
  }
}

TEST(KmsPolicyPrincipals, ValidateKeyPolicyRefusesAnInvalidPrincipalInAwsWords) {
  for (const char* doc : {R"("arn:aws:iam:123456789012:root")", R"("not-an-arn")",
                          R"(["arn:aws:iam::123456789012:root", "not-an-arn"])"}) {
    Status st = ValidateKeyPolicy(Naming(doc));
    EXPECT_EQ(st.code(), ErrorCode::kKmsMalformedPolicyDocument) << doc;
    EXPECT_EQ(st.message(), "Policy contains a statement with one or more invalid principals.")
        << doc;
  }
  // NotPrincipal alike.
  Status st = ValidateKeyPolicy(
      R"({"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"nope"},"Action":"kms:*"}]})");
  EXPECT_EQ(st.message(), "Policy contains a statement with one or more invalid principals.");
  EXPECT_TRUE(ValidateKeyPolicy(DefaultKeyPolicy("123456789012")).ok());
  EXPECT_TRUE(ValidateKeyPolicy(Naming(R"(["123456789012", "*"])")).ok());
}

}  // namespace
}  // namespace arcana::domain::kms
