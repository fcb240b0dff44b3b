// The last-use log of IAM user access keys (auth/key_use_log.h) over a real SQLite store:
// uses are noted in memory, the latest wins, a flush hands them to the store, a failed
// flush keeps them, and Stop() flushes what is left.
#include "auth/key_use_log.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "crypto/random.h"
#include "storage/sqlite/sqlite_stores.h"

namespace arcana {
namespace {

constexpr const char* kAccount = "111122223333";

class KeyUseLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-keyuse-test-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::sqlite::OpenSqliteStores(dir_.string() + "/arcana.db");
    ASSERT_TRUE(s.ok()) << s.status().message();
    store_ = std::move(s).value();
    storage::IamEntity user{kAccount, "user", "u", "AIDAUSER", "/", "{}", 1};
    ASSERT_TRUE(ids().WriteEntities({{storage::EntityWrite::Op::kPut, user}}, "t").ok());
    ASSERT_TRUE(ids().PutUserAccessKey({"AKIAKEY", kAccount, "u", "s", "Active", 1}, 2).ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  storage::IdentityStore& ids() { return store_->identities(); }
  storage::UserAccessKey Stored() { return *ids().GetUserAccessKey("AKIAKEY").value(); }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> store_;
};

TEST_F(KeyUseLogTest, NotesInMemoryUntilFlushedThenTheStoreHasTheLatest) {
  auth::KeyUseLog log(ids());
  log.Note("AKIAKEY", 5'000, "iam", "us-east-1");
  log.Note("AKIAKEY", 9'000, "kms", "eu-west-1");
  log.Note("AKIAKEY", 7'000, "ssm", "us-east-1");  // older than the one noted: ignored
  EXPECT_EQ(Stored().last_used_ms, 0);
  auto pending = log.Pending("AKIAKEY");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->when_ms, 9'000);
  EXPECT_EQ(pending->service, "kms");
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_FALSE(log.Pending("AKIAKEY").has_value());
  auto k = Stored();
  EXPECT_EQ(k.last_used_ms, 9'000);
  EXPECT_EQ(k.last_used_service, "kms");
  EXPECT_EQ(k.last_used_region, "eu-west-1");
}

TEST_F(KeyUseLogTest, UsesWithinASecondOnOneServiceAndRegionAreOne) {
  auth::KeyUseLog log(ids());
  log.Note("AKIAKEY", 10'000, "iam", "us-east-1");
  log.Note("AKIAKEY", 10'500, "iam", "us-east-1");
  EXPECT_EQ(log.Pending("AKIAKEY")->when_ms, 10'000);
  log.Note("AKIAKEY", 10'600, "kms", "us-east-1");  // another service: a new last use
  EXPECT_EQ(log.Pending("AKIAKEY")->when_ms, 10'600);
  log.Note("AKIAKEY", 11'700, "kms", "us-east-1");
  EXPECT_EQ(log.Pending("AKIAKEY")->when_ms, 11'700);
}

TEST_F(KeyUseLogTest, StopFlushesWhatIsPendingAndAStartedLogFlushesOnItsOwn) {
  {
    auth::KeyUseLog log(ids(), std::chrono::hours(1));
    log.Start();
    log.Note("AKIAKEY", 3'000, "secretsmanager", "ap-south-1");
  }  // destroyed: Stop() flushes
  EXPECT_EQ(Stored().last_used_service, "secretsmanager");
  auth::KeyUseLog log(ids(), std::chrono::milliseconds(20));
  log.Start();
  log.Note("AKIAKEY", 4'000, "iam", "us-east-1");
  for (int i = 0; i < 500 && Stored().last_used_ms != 4'000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Stored().last_used_ms, 4'000);
  log.Stop();
  log.Stop();  // idempotent
}

}  // namespace
}  // namespace arcana
