// Backend conformance of the KMS key usage store (storage/kms_key_usage_store.h), the SAME
// cases on SQLite and on PostgreSQL (a throwaway cluster, pg_test_cluster.h), through
// OpenStores as arcanad opens them: tracking starts when the schema step first ran and stays
// put, the latest use of every flush wins whatever the order, a use appends no change row and
// leaves the key's revision alone, uses of absent keys are dropped, deleting or wiping keys
// drops their uses, and (PostgreSQL) a second node on the database sees them.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "domain/kms/rules.h"
#include "conformance_stores.h"
#include "pg_test_cluster.h"
#include "storage/stores.h"

namespace arcana::storage::kms_usage_conformance {
namespace {

const Scope kHere{"111122223333", "us-east-1"};
const Scope kReplicaRegion{"111122223333", "eu-west-1"};

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

domain::kms::Key UsageTestKey(const std::string& id, const Scope& scope) {
  domain::kms::Key k;
  k.account = scope.account;
  k.region = scope.region;
  k.key_id = id;
  k.arn = domain::kms::KeyArn(scope.region, scope.account, id);
  k.created_ms = 1000;
  k.key_usage = "ENCRYPT_DECRYPT";
  k.key_spec = "SYMMETRIC_DEFAULT";
  k.materials.push_back({"m1-" + id, 1000, ""});
  return k;
}

KmsKeyUse UseOf(const std::string& key_id, int64_t when_ms, const std::string& op,
                const Scope& scope = kHere) {
  return {scope.account, scope.region, key_id, when_ms, op, "req-" + op, "evt-" + op};
}

class KmsKeyUsageConformance : public testing::StoresCase {
 protected:
  KmsKeyUsageStore& usage() { return stores_->kms_key_usage(); }
  KmsKeyUsage UsageOf(const std::string& key_id, const Scope& scope = kHere) {
    auto u = usage().GetKmsKeyUsage(scope, key_id);
    EXPECT_TRUE(u.ok()) << u.status().message();
    return u.ok() ? *u : KmsKeyUsage{};
  }
  void CreateKey(const std::string& id, const Scope& scope = kHere) {
    Status st = stores_->kms().PutKmsKey(UsageTestKey(id, scope), {}, "CreateKey");
    ASSERT_TRUE(st.ok()) << st.message();
  }
  int64_t Head() { return stores_->changes().Head().value(); }

};

TEST_P(KmsKeyUsageConformance, TrackingStartsWhenTheSchemaStepFirstRanAndStaysPut) {
  const int64_t since = UsageOf("no-such-key").tracking_since_ms;
  EXPECT_GE(since, before_open_ms_ - 1000);  // the database's clock, this machine's here
  EXPECT_LE(since, WallMs() + 1000);
  EXPECT_FALSE(UsageOf("no-such-key").last.has_value());
  stores_.reset();
  stores_ = Open();  // reopened (SQLite) / another node starting (PostgreSQL): no new step
  ASSERT_NE(stores_, nullptr);
  EXPECT_EQ(UsageOf("no-such-key").tracking_since_ms, since);
}

TEST_P(KmsKeyUsageConformance, TheLatestUseWinsInAnyOrderWithNoChangeRowAndNoRevision) {
  CreateKey("k1");
  CreateKey("k1", kReplicaRegion);  // a multi-Region key's replica: tracked on its own
  const int64_t head = Head();
  // Two nodes flushing in either order; a tie keeps what is stored; an absent key is dropped.
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 5000, "Decrypt"),
                                        UseOf("gone", 5000, "Encrypt")}).ok());
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 4000, "Encrypt")}).ok());
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 5000, "Sign")}).ok());
  auto got = UsageOf("k1").last;
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->when_ms, 5000);
  EXPECT_EQ(got->operation, "Decrypt");
  EXPECT_EQ(got->request_id, "req-Decrypt");
  EXPECT_EQ(got->event_id, "evt-Decrypt");
  EXPECT_EQ(got->account, kHere.account);
  EXPECT_EQ(got->region, kHere.region);
  EXPECT_EQ(got->key_id, "k1");
  EXPECT_FALSE(UsageOf("k1", kReplicaRegion).last.has_value());
  EXPECT_FALSE(UsageOf("gone").last.has_value());
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 6000, "GenerateDataKey"),
                                        UseOf("k1", 7000, "Verify", kReplicaRegion)}).ok());
  EXPECT_EQ(UsageOf("k1").last->operation, "GenerateDataKey");
  EXPECT_EQ(UsageOf("k1", kReplicaRegion).last->operation, "Verify");
  ASSERT_TRUE(usage().RecordKmsKeyUses({}).ok());
  // Nothing a node caches changed: no change row, the key's revision as it was.
  EXPECT_EQ(Head(), head);
  EXPECT_EQ(stores_->kms().GetKmsKey(kHere, "k1").value()->revision, 1);
}

TEST_P(KmsKeyUsageConformance, DeletingOrWipingKeysDropsTheirUsesButNotTheTrackingStart) {
  CreateKey("k1");
  CreateKey("k2");
  const int64_t since = UsageOf("k1").tracking_since_ms;
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 5000, "Encrypt"),
                                        UseOf("k2", 5000, "Encrypt")}).ok());
  ASSERT_TRUE(stores_->kms().DeleteKmsKey(kHere, "k1", 0).ok());
  EXPECT_FALSE(UsageOf("k1").last.has_value());
  EXPECT_TRUE(UsageOf("k2").last.has_value());
  ASSERT_TRUE(stores_->kms().WipeKms().ok());
  EXPECT_FALSE(UsageOf("k2").last.has_value());
  EXPECT_EQ(UsageOf("k2").tracking_since_ms, since);
}

TEST_P(KmsKeyUsageConformance, ASecondNodeSeesTheUsesTheFirstRecorded) {
  if (IsSqlite()) GTEST_SKIP() << "one node per SQLite store";
  CreateKey("k1");
  auto other = Open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(usage().RecordKmsKeyUses({UseOf("k1", 5000, "GenerateMac")}).ok());
  auto seen = other->kms_key_usage().GetKmsKeyUsage(kHere, "k1");
  ASSERT_TRUE(seen.ok() && seen->last.has_value());
  EXPECT_EQ(seen->last->operation, "GenerateMac");
  // The second node's later use wins on the first one too.
  ASSERT_TRUE(other->kms_key_usage().RecordKmsKeyUses({UseOf("k1", 6000, "VerifyMac")}).ok());
  EXPECT_EQ(UsageOf("k1").last->operation, "VerifyMac");
}

INSTANTIATE_TEST_SUITE_P(Backends, KmsKeyUsageConformance,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

}  // namespace
}  // namespace arcana::storage::kms_usage_conformance
