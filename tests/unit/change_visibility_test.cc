// The change stream's visibility rule (auth/change_visibility.h): a caller sees secret and
// parameter changes of its own account, nothing else.
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
  EXPECT_TRUE(ChangeVisibleTo(caller, MakeChange("secretsmanager", "111111111111")));
  EXPECT_TRUE(ChangeVisibleTo(caller, MakeChange("ssm", "111111111111")));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("secretsmanager", "222222222222")));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("kms", "111111111111")));
  EXPECT_FALSE(ChangeVisibleTo(caller, MakeChange("arcana", "")));
  services::CallContext nobody;  // no account: sees nothing, not the server-wide changes
  EXPECT_FALSE(ChangeVisibleTo(nobody, MakeChange("arcana", "")));
  EXPECT_FALSE(ChangeVisibleTo(nobody, MakeChange("ssm", "")));
}

}  // namespace
}  // namespace arcana::auth
