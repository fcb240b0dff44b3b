// The last accessed log of IAM users and roles (auth/service_use_log.h) over a real SQLite
// store: which principals count for which entity, uses noted in memory and reported as
// pending until flushed, the latest wins, one use a second per action and region, and Stop()
// flushes what is left.
#include "auth/service_use_log.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "temp_stores.h"

namespace arcana {
namespace {

constexpr const char* kAccount = "111122223333";

auth::Principal UserCaller(const std::string& id) {
  auth::Principal p;
  p.type = auth::Principal::Type::kUser;
  p.account = kAccount;
  p.user_id = id;
  return p;
}

class ServiceUseLogTest : public ::testing::Test {
 protected:
  storage::IdentityStore& ids() { return store_->identities(); }
  // The stored use of (entity, service, action), when_ms 0 when none.
  storage::ServiceUse Stored(const std::string& entity, const std::string& service,
                             const std::string& action) {
    auto uses = ids().ListServiceUses(kAccount, {entity});
    EXPECT_TRUE(uses.ok());
    for (const auto& u : *uses) {
      if (u.service == service && u.action == action) return u;
    }
    return {};
  }

  testing::TempStores store_;
};

TEST(ServiceUseEntity, UsersAndRoleSessionsCountTheRootAndFederatedUsersDoNot) {
  auth::Principal p = UserCaller("AIDAUSER");
  EXPECT_EQ(auth::ServiceUseEntity(p), "AIDAUSER");
  p.type = auth::Principal::Type::kFederated;  // GetSessionToken: the user itself
  EXPECT_EQ(auth::ServiceUseEntity(p), "AIDAUSER");
  p.type = auth::Principal::Type::kAssumedRole;
  p.user_id = "AROAROLE:session-1";
  EXPECT_EQ(auth::ServiceUseEntity(p), "AROAROLE");
  for (auto t : {auth::Principal::Type::kRoot, auth::Principal::Type::kFederatedUser,
                 auth::Principal::Type::kService, auth::Principal::Type::kWebIdentity}) {
    p.type = t;
    EXPECT_EQ(auth::ServiceUseEntity(p), "");
  }
}

TEST_F(ServiceUseLogTest, NotesInMemoryUntilFlushedThenTheStoreHasTheLatest) {
  auth::ServiceUseLog log(ids());
  const auto user = UserCaller("AIDAUSER");
  log.Note(user, "secretsmanager", "GetSecretValue", "us-east-1", 5'000);
  log.Note(user, "secretsmanager", "GetSecretValue", "eu-west-1", 9'000);
  log.Note(user, "secretsmanager", "GetSecretValue", "us-east-1", 7'000);  // older: ignored
  log.Note(user, "kms", "Decrypt", "us-east-1", 6'000);
  auth::Principal root;
  root.account = kAccount;
  log.Note(root, "kms", "Decrypt", "us-east-1", 6'000);  // no entity: nothing
  EXPECT_EQ(Stored("AIDAUSER", "secretsmanager", "").when_ms, 0);
  auto pending = log.Pending(kAccount, {"AIDAUSER"});
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_TRUE(log.Pending(kAccount, {"AIDAOTHER"}).empty());
  EXPECT_TRUE(log.Pending("999999999999", {"AIDAUSER"}).empty());
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_TRUE(log.Pending(kAccount, {"AIDAUSER"}).empty());
  // The action's row and the service's (action "").
  EXPECT_EQ(Stored("AIDAUSER", "secretsmanager", "GetSecretValue").when_ms, 9'000);
  EXPECT_EQ(Stored("AIDAUSER", "secretsmanager", "GetSecretValue").region, "eu-west-1");
  EXPECT_EQ(Stored("AIDAUSER", "secretsmanager", "").when_ms, 9'000);
  EXPECT_EQ(Stored("AIDAUSER", "kms", "Decrypt").when_ms, 6'000);
  EXPECT_EQ(Stored("AIDAUSER", "kms", "").when_ms, 6'000);
}

TEST_F(ServiceUseLogTest, UsesWithinASecondFromOneRegionAreOne) {
  auth::ServiceUseLog log(ids());
  const auto user = UserCaller("AIDAUSER");
  log.Note(user, "iam", "GetUser", "us-east-1", 10'000);
  log.Note(user, "iam", "GetUser", "us-east-1", 10'500);  // the same use
  EXPECT_EQ(log.Pending(kAccount, {"AIDAUSER"})[0].when_ms, 10'000);
  log.Note(user, "iam", "GetUser", "eu-west-1", 10'600);  // another region: a new use
  EXPECT_EQ(log.Pending(kAccount, {"AIDAUSER"})[0].when_ms, 10'600);
  log.Note(user, "iam", "GetUser", "eu-west-1", 11'700);
  EXPECT_EQ(log.Pending(kAccount, {"AIDAUSER"})[0].when_ms, 11'700);
}

TEST_F(ServiceUseLogTest, ARoleSessionCountsForTheRoleAndStopFlushes) {
  {
    auth::ServiceUseLog log(ids(), std::chrono::hours(1));
    log.Start();
    auth::Principal session;
    session.type = auth::Principal::Type::kAssumedRole;
    session.account = kAccount;
    session.user_id = "AROAROLE:build";
    log.Note(session, "ssm", "GetParameter", "us-east-1", 3'000);
    session.user_id = "AROAROLE:deploy";  // another session of the same role
    log.Note(session, "ssm", "GetParameter", "us-east-1", 8'000);
    log.Stop();
    log.Stop();  // idempotent
  }
  EXPECT_EQ(Stored("AROAROLE", "ssm", "GetParameter").when_ms, 8'000);
  EXPECT_EQ(Stored("AROAROLE", "ssm", "").when_ms, 8'000);
}

}  // namespace
}  // namespace arcana
