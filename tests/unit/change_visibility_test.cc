// The change stream's visibility rule (auth/change_visibility.h): a caller sees the secret and
// parameter changes it may read, another account's included, nothing else.
#include <gtest/gtest.h>

#include "auth/change_visibility.h"

namespace arcana::auth {
namespace {

storage::Change MakeChange(std::string service, std::string account) {
  storage::Change c;
  c.seq = 1;
  c.service = std::move(service);
  c.account = std::move(account);
  c.region = "us-east-1";
  c.resource = "arn:aws:" + c.service + ":us-east-1:" + c.account + ":x";
  c.kind = "Put";
  return c;
}

TEST(ChangeVisibility, OwnAccountsSecretsAndParametersOnly) {
  services::CallContext caller;
  caller.account = "111111111111";
  EXPECT_TRUE(ChangeVisibleTo(caller, MakeChange("secretsmanager", "111111111111"), {}));
  EXPECT_TRUE(ChangeVisibleTo(caller, MakeChange("ssm", "111111111111"), {}));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("secretsmanager", "222222222222"), {}));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("kms", "111111111111"), {}));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("arcana", ""), {}));
  services::CallContext nobody;  // no account: sees nothing, not the server-wide changes
  EXPECT_FALSE(ChangeVisibleTo(nobody, MakeChange("arcana", ""), {}));
  EXPECT_FALSE(ChangeVisibleTo(nobody, MakeChange("ssm", ""), {}));
}

TEST(ChangeVisibility, ReadCheckDecidesForEveryAccount) {
  services::CallContext caller;
  caller.account = "111111111111";
  ReadCheck only_db = [](const services::CallContext&, const storage::Change& c) {
    return c.resource.ends_with(":db");
  };
  auto secret = MakeChange("secretsmanager", "111111111111");
  EXPECT_FALSE(ChangeVisibleTo(caller, secret, only_db));
  secret.resource += ":db";
  EXPECT_TRUE(ChangeVisibleTo(caller, secret, only_db));
  // Another account's secret or parameter (read across accounts through its resource
  // policy): the read check decides, as for the caller's own.
  auto foreign = MakeChange("secretsmanager", "222222222222");
  EXPECT_FALSE(ChangeVisibleTo(caller, foreign, only_db));
  foreign.resource += ":db";
  EXPECT_TRUE(ChangeVisibleTo(caller, foreign, only_db));
  auto shared = MakeChange("ssm", "222222222222");
  shared.resource += ":db";
  EXPECT_TRUE(ChangeVisibleTo(caller, shared, only_db));
  // Never asked for what is never streamed, nor for a change of no account.
  bool asked = false;
  ReadCheck spy = [&asked](const services::CallContext&, const storage::Change&) {
    asked = true;
    return true;
  };
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("kms", "111111111111"), spy));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("kms", "222222222222"), spy));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("ssm", ""), spy));
  services::CallContext nobody;
  EXPECT_FALSE(ChangeVisibleTo(nobody, MakeChange("ssm", "111111111111"), spy));
  EXPECT_FALSE(asked);
}

}  // namespace
}  // namespace arcana::auth
