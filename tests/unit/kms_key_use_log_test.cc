// The last-use log of KMS keys (services/kms/kms_key_use_log.h) over a store that records
// what it is handed: uses are noted in memory, the latest per key (account, region, key id)
// wins, a flush hands them over, a failed flush keeps them, Read shows this node's unflushed
// use over an older stored one, and Stop() flushes what is left.
#include "services/kms/kms_key_use_log.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>

namespace arcana::services::kms {
namespace {

const storage::Scope kUsageScope{"111122223333", "us-east-1"};

// Keeps the latest use per key, as the backends do; fails while `failing`.
class RecordingUsageStore : public storage::KmsKeyUsageStore {
 public:
  Status RecordKmsKeyUses(const std::vector<storage::KmsKeyUse>& uses) override {
    std::lock_guard<std::mutex> l(mu);
    ++batches;
    if (failing) return Status(ErrorCode::kServiceUnavailable, "store down");
    for (const auto& u : uses) {
      auto& slot = rows[u.account + "/" + u.region + "/" + u.key_id];
      if (!slot || slot->when_ms < u.when_ms) slot = u;
    }
    return Status::Ok();
  }
  Result<storage::KmsKeyUsage> GetKmsKeyUsage(const storage::Scope& scope,
                                              const std::string& key_id) override {
    std::lock_guard<std::mutex> l(mu);
    storage::KmsKeyUsage out;
    out.tracking_since_ms = 500;
    auto it = rows.find(scope.account + "/" + scope.region + "/" + key_id);
    if (it != rows.end()) out.last = it->second;
    return out;
  }
  std::optional<storage::KmsKeyUse> Row(const std::string& key_id,
                                        const std::string& region = "us-east-1") {
    std::lock_guard<std::mutex> l(mu);
    auto it = rows.find("111122223333/" + region + "/" + key_id);
    if (it == rows.end()) return std::nullopt;
    return it->second;
  }

  std::mutex mu;
  std::map<std::string, std::optional<storage::KmsKeyUse>> rows;
  bool failing = false;
  int batches = 0;
};

void NoteUse(KmsKeyUseLog& log, const std::string& key_id, int64_t when_ms,
             const std::string& op, const std::string& region = "us-east-1") {
  log.Note("111122223333", region, key_id, when_ms, op, "req-" + std::to_string(when_ms),
           "evt-" + std::to_string(when_ms));
}

TEST(KmsKeyUseLogTest, NotesTheLatestUsePerKeyInMemoryUntilFlushed) {
  RecordingUsageStore store;
  KmsKeyUseLog log(store);
  NoteUse(log, "k1", 5'000, "Encrypt");
  NoteUse(log, "k1", 9'000, "Decrypt");
  NoteUse(log, "k1", 7'000, "Sign");        // older than the one noted: ignored
  NoteUse(log, "k1", 9'000, "ReEncrypt");   // as old: the later call wins
  NoteUse(log, "k1", 8'000, "Verify", "eu-west-1");  // a replica's region: its own entry
  EXPECT_EQ(store.batches, 0);  // nothing reaches the store on a use
  auto pending = log.Pending(kUsageScope, "k1");
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->when_ms, 9'000);
  EXPECT_EQ(pending->operation, "ReEncrypt");
  EXPECT_EQ(pending->request_id, "req-9000");
  EXPECT_EQ(pending->event_id, "evt-9000");
  EXPECT_EQ(log.Pending({"111122223333", "eu-west-1"}, "k1")->operation, "Verify");
  EXPECT_FALSE(log.Pending({"444455556666", "us-east-1"}, "k1").has_value());

  ASSERT_TRUE(log.Flush().ok());
  EXPECT_EQ(store.batches, 1);
  EXPECT_FALSE(log.Pending(kUsageScope, "k1").has_value());
  EXPECT_EQ(store.Row("k1")->operation, "ReEncrypt");
  EXPECT_EQ(store.Row("k1", "eu-west-1")->operation, "Verify");
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_EQ(store.batches, 1);  // nothing pending: no write
}

TEST(KmsKeyUseLogTest, AFailedFlushKeepsItsUsesAndANewerOneNotedMeanwhileWins) {
  RecordingUsageStore store;
  KmsKeyUseLog log(store);
  NoteUse(log, "k1", 5'000, "Encrypt");
  NoteUse(log, "k2", 5'000, "Encrypt");
  store.failing = true;
  EXPECT_FALSE(log.Flush().ok());
  EXPECT_EQ(log.Pending(kUsageScope, "k1")->operation, "Encrypt");
  NoteUse(log, "k1", 6'000, "Decrypt");
  store.failing = false;
  ASSERT_TRUE(log.Flush().ok());
  EXPECT_EQ(store.Row("k1")->operation, "Decrypt");
  EXPECT_EQ(store.Row("k2")->operation, "Encrypt");
}

TEST(KmsKeyUseLogTest, ReadShowsThisNodesUnflushedUseOverAnOlderStoredOne) {
  RecordingUsageStore store;
  KmsKeyUseLog log(store);
  auto none = log.Read(kUsageScope, "k1");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->tracking_since_ms, 500);
  EXPECT_FALSE(none->last.has_value());
  // Another node flushed a use at 8 s; this node's own at 6 s is older, then one at 9 s.
  ASSERT_TRUE(store.RecordKmsKeyUses({{"111122223333", "us-east-1", "k1", 8'000, "Sign",
                                       "req-other", "evt-other"}}).ok());
  NoteUse(log, "k1", 6'000, "Encrypt");
  EXPECT_EQ(log.Read(kUsageScope, "k1")->last->operation, "Sign");
  NoteUse(log, "k1", 9'000, "GenerateMac");
  auto mine = log.Read(kUsageScope, "k1");
  ASSERT_TRUE(mine.ok() && mine->last.has_value());
  EXPECT_EQ(mine->last->operation, "GenerateMac");
  EXPECT_EQ(mine->last->request_id, "req-9000");
}

TEST(KmsKeyUseLogTest, StopFlushesWhatIsPendingAndAStartedLogFlushesOnItsOwn) {
  RecordingUsageStore store;
  {
    KmsKeyUseLog log(store, std::chrono::hours(1));
    log.Start();
    NoteUse(log, "k1", 3'000, "GenerateDataKey");
  }  // destroyed: Stop() flushes
  ASSERT_TRUE(store.Row("k1").has_value());
  EXPECT_EQ(store.Row("k1")->operation, "GenerateDataKey");
  KmsKeyUseLog log(store, std::chrono::milliseconds(20));
  log.Start();
  NoteUse(log, "k1", 4'000, "VerifyMac");
  for (int i = 0; i < 500 && store.Row("k1")->when_ms != 4'000; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store.Row("k1")->operation, "VerifyMac");
  log.Stop();
  log.Stop();  // idempotent
}

}  // namespace
}  // namespace arcana::services::kms
