// domain/iam/trust_principals.h: which principals of a trust policy name one user or role, and
// replacing them (by unique id when stored, back to ids of gone principals when shown).
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "domain/iam/trust_principals.h"

namespace arcana::domain::iam {
namespace {

constexpr const char* kTrust = R"({"Version":"2012-10-17","Statement":[
  {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/team/bob",
     "arn:aws:iam::123456789012:root","123456789012","arn:aws:iam::123456789012:role/ci",
     "arn:aws:iam::123456789012:user/b*","arn:aws:sts::123456789012:assumed-role/ci/s",
     "AIDAEXAMPLE"]},"Action":"sts:AssumeRole",
   "Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/ci"}}},
  {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/ci"},
   "Action":"sts:AssumeRole"}]})";

TEST(TrustPrincipals, NamesOnlyUsersAndRolesEachOnce) {
  auto named = NamedPrincipalsOf(kTrust);
  ASSERT_TRUE(named.ok());
  ASSERT_EQ(named->size(), 2u);
  EXPECT_EQ((*named)[0].kind, "user");
  EXPECT_EQ((*named)[0].path, "/team/");
  EXPECT_EQ((*named)[0].name, "bob");
  EXPECT_EQ((*named)[0].account, "123456789012");
  EXPECT_EQ((*named)[1].arn, "arn:aws:iam::123456789012:role/ci");
  EXPECT_EQ((*named)[1].path, "/");
  EXPECT_FALSE(NamedPrincipalsOf("{not json").ok());
}

TEST(TrustPrincipals, ReplacesPrincipalsOnlyNeverConditions) {
  auto bound = ReplacePrincipals(kTrust, {{"arn:aws:iam::123456789012:role/ci", "AROACI"}});
  ASSERT_TRUE(bound.ok());
  EXPECT_NE(bound->find(R"("NotPrincipal":{"AWS":"AROACI"})"), std::string::npos);
  EXPECT_NE(bound->find(R"("aws:PrincipalArn":"arn:aws:iam::123456789012:role/ci")"),
            std::string::npos);
  EXPECT_EQ(bound->find(R"("arn:aws:iam::123456789012:role/ci",)"), std::string::npos);
  // Nothing to replace: the document as written, byte for byte.
  EXPECT_EQ(*ReplacePrincipals(kTrust, {{"arn:aws:iam::123456789012:role/other", "X"}}), kTrust);
  EXPECT_EQ(*ReplacePrincipals(kTrust, {}), kTrust);
}

}  // namespace
}  // namespace arcana::domain::iam
