// The account that owns an access key id (auth/access_key_owner.h), over a real SQLite store:
// the root's keys, users' keys and sessions each answer their account, whatever their state;
// a key no store holds answers none.
#include "auth/access_key_owner.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/random.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

constexpr const char* kRootAccount = "111122223333";
constexpr const char* kOtherAccount = "444455556666";

class AccessKeyOwnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-keyowner-test-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::optional<std::string> Owner(const std::string& id) {
    auto got = auth::AccountOfAccessKey(store_->access_keys(), store_->identities(), id);
    EXPECT_TRUE(got.ok()) << got.status().message();
    return got.ok() ? *got : std::nullopt;
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
};

TEST_F(AccessKeyOwnerTest, RootKeyAnswersItsAccount) {
  // The sealed secret is never opened: any bytes do.
  ASSERT_TRUE(store_->access_keys()
                  .PutAccessKey({"AKIAROOTKEY000000001", "sealed", kRootAccount,
                                 std::string("arn:aws:iam::") + kRootAccount + ":root", 1})
                  .ok());
  EXPECT_EQ(Owner("AKIAROOTKEY000000001"), kRootAccount);
}

TEST_F(AccessKeyOwnerTest, UserKeyAnswersItsUsersAccountActiveOrNot) {
  storage::IamEntity user{kOtherAccount, "user", "u", "AIDAUSER", "/", "{}", 1};
  ASSERT_TRUE(store_->identities()
                  .WriteEntities({{storage::EntityWrite::Op::kPut, user}}, "CreateUser")
                  .ok());
  ASSERT_TRUE(store_->identities()
                  .PutUserAccessKey({"AKIAUSERKEY000000001", kOtherAccount, "u", "s", "Active", 1},
                                    2)
                  .ok());
  EXPECT_EQ(Owner("AKIAUSERKEY000000001"), kOtherAccount);
  // GetAccessKeyInfo does not tell a key's state: an inactive key still names its account.
  ASSERT_TRUE(store_->identities()
                  .SetUserAccessKeyStatus(kOtherAccount, "u", "AKIAUSERKEY000000001", "Inactive")
                  .ok());
  EXPECT_EQ(Owner("AKIAUSERKEY000000001"), kOtherAccount);
  // Deleted: no longer held, so no owner.
  ASSERT_TRUE(
      store_->identities().DeleteUserAccessKey(kOtherAccount, "u", "AKIAUSERKEY000000001").ok());
  EXPECT_EQ(Owner("AKIAUSERKEY000000001"), std::nullopt);
}

TEST_F(AccessKeyOwnerTest, SessionKeyAnswersItsAccountUntilPurged) {
  storage::StsSession s;
  s.access_key_id = "ASIASESSION000000001";
  s.account = kOtherAccount;
  s.sealed = "sealed";
  s.expires_ms = 1000;  // long expired: still held until purged
  s.created_ms = 1;
  s.doc = "{}";
  ASSERT_TRUE(store_->identities().PutSession(s).ok());
  EXPECT_EQ(Owner("ASIASESSION000000001"), kOtherAccount);
  auto purged = store_->identities().DeleteExpiredSessions(2000, 10);
  ASSERT_TRUE(purged.ok());
  ASSERT_EQ(*purged, 1u);
  EXPECT_EQ(Owner("ASIASESSION000000001"), std::nullopt);
}

TEST_F(AccessKeyOwnerTest, KeyNoStoreHoldsHasNoOwner) {
  // A well-formed AWS key id of some other system: its account is not guessed from the id.
  EXPECT_EQ(Owner("AKIAIOSFODNN7EXAMPLE"), std::nullopt);
  EXPECT_EQ(Owner("ASIAIOSFODNN7EXAMPLE"), std::nullopt);
  EXPECT_EQ(Owner("0123456789abcdef"), std::nullopt);
}

}  // namespace
}  // namespace arcana
