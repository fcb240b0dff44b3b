// Backend conformance of IAM's last accessed information in the identity store
// (storage/identity_store.h: RecordServiceUses, ListServiceUses, ServiceUseTrackingSince,
// PutServiceAccessJob, GetServiceAccessJob), the SAME cases on SQLite and on PostgreSQL (a
// throwaway cluster, pg_test_cluster.h), through OpenStores as arcanad opens them: tracking
// starts when the schema step first ran and stays put; the latest use of every flush wins
// whatever the order, per action and per service (action ""); a use appends no change row;
// jobs are read back until they expire, an id is taken once, expired jobs are dropped; and
// (PostgreSQL) a second node sees what the first recorded.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "conformance_stores.h"
#include "pg_test_cluster.h"
#include "storage/stores.h"

namespace arcana::storage::iam_service_access_conformance {
namespace {

constexpr const char* kAccount = "111122223333";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ServiceUse UseOf(const std::string& entity, const std::string& service,
                 const std::string& action, int64_t when_ms, const std::string& region) {
  return {kAccount, entity, service, action, when_ms, region};
}

class IamServiceAccessConformance : public testing::StoresCase {
 protected:
  IdentityStore& ids() { return stores_->identities(); }
  // The stored use of (entity, service, action); when_ms 0 when none.
  static ServiceUse Find(IdentityStore& store, const std::string& entity,
                         const std::string& service, const std::string& action) {
    auto uses = store.ListServiceUses(kAccount, {entity});
    EXPECT_TRUE(uses.ok()) << uses.status().message();
    if (!uses.ok()) return {};
    for (const auto& u : *uses) {
      if (u.service == service && u.action == action) return u;
    }
    return {};
  }
  ServiceUse Find(const std::string& entity, const std::string& service,
                  const std::string& action) {
    return Find(ids(), entity, service, action);
  }
  int64_t Head() { return stores_->changes().Head().value(); }

};

TEST_P(IamServiceAccessConformance, TrackingStartsWhenTheSchemaStepFirstRanAndStaysPut) {
  auto since = ids().ServiceUseTrackingSince();
  ASSERT_TRUE(since.ok()) << since.status().message();
  EXPECT_GE(*since, before_open_ms_ - 1000);  // the database's clock, this machine's here
  EXPECT_LE(*since, WallMs() + 1000);
  stores_.reset();
  stores_ = Open();  // reopened (SQLite) / another node starting (PostgreSQL): no new step
  ASSERT_NE(stores_, nullptr);
  EXPECT_EQ(ids().ServiceUseTrackingSince().value(), *since);
}

TEST_P(IamServiceAccessConformance, TheLatestUseWinsPerActionAndPerServiceInAnyOrder) {
  const int64_t head = Head();
  // Two nodes flushing in either order; a tie keeps what is stored.
  ASSERT_TRUE(ids().RecordServiceUses({UseOf("AIDAU", "secretsmanager", "GetSecretValue", 5000,
                                             "eu-west-1"),
                                       UseOf("AIDAU", "secretsmanager", "ListSecrets", 4000,
                                             "us-east-1")}).ok());
  ASSERT_TRUE(ids().RecordServiceUses({UseOf("AIDAU", "secretsmanager", "GetSecretValue", 3000,
                                             "us-east-1"),
                                       UseOf("AIDAU", "secretsmanager", "ListSecrets", 4000,
                                             "us-west-2")}).ok());
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "GetSecretValue").when_ms, 5000);
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "GetSecretValue").region, "eu-west-1");
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "ListSecrets").region, "us-east-1");  // the tie
  // The service's row is the latest of its actions'.
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "").when_ms, 5000);
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "").region, "eu-west-1");
  ASSERT_TRUE(ids().RecordServiceUses({UseOf("AIDAU", "secretsmanager", "ListSecrets", 6000,
                                             "ap-south-1"),
                                       UseOf("AROAR", "kms", "", 7000, "us-east-1")}).ok());
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "").when_ms, 6000);
  EXPECT_EQ(Find("AIDAU", "secretsmanager", "").region, "ap-south-1");
  EXPECT_EQ(Find("AROAR", "kms", "").when_ms, 7000);  // a service-only use
  // Per entity and account: the listing reads only the entities asked.
  auto both = ids().ListServiceUses(kAccount, {"AIDAU", "AROAR"}).value();
  EXPECT_EQ(both.size(), 4u);  // 2 actions + 1 service (AIDAU), 1 service (AROAR)
  EXPECT_TRUE(ids().ListServiceUses(kAccount, {"AIDANONE"}).value().empty());
  EXPECT_TRUE(ids().ListServiceUses("999999999999", {"AIDAU"}).value().empty());
  ASSERT_TRUE(ids().RecordServiceUses({}).ok());
  EXPECT_EQ(Head(), head);  // no change row: nothing a node caches changed
}

TEST_P(IamServiceAccessConformance, JobsAreReadUntilTheyExpireAndExpiredOnesAreDropped) {
  ServiceAccessJob job{"7c9e6679-7425-40de-944b-e07fc1f90ae7", kAccount,
                       "arn:aws:iam::111122223333:user/alice", 1000, 5000, R"({"services":[]})"};
  ASSERT_TRUE(ids().PutServiceAccessJob(job).ok());
  EXPECT_EQ(ids().PutServiceAccessJob(job).code(), ErrorCode::kResourceExists);
  auto got = ids().GetServiceAccessJob(job.job_id, 4000).value();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->account, kAccount);
  EXPECT_EQ(got->owner, job.owner);
  EXPECT_EQ(got->created_ms, 1000);
  EXPECT_EQ(got->expires_ms, 5000);
  EXPECT_EQ(got->report, job.report);
  EXPECT_FALSE(ids().GetServiceAccessJob(job.job_id, 5001).value().has_value());  // expired
  EXPECT_FALSE(ids().GetServiceAccessJob("no-such-job", 0).value().has_value());
  // A job made after another expired drops it.
  ServiceAccessJob later = job;
  later.job_id = "0f8fad5b-d9cb-469f-a165-70867728950e";
  later.created_ms = 6000;
  later.expires_ms = 9000;
  ASSERT_TRUE(ids().PutServiceAccessJob(later).ok());
  EXPECT_FALSE(ids().GetServiceAccessJob(job.job_id, 0).value().has_value());
  EXPECT_TRUE(ids().GetServiceAccessJob(later.job_id, 6000).value().has_value());
}

TEST_P(IamServiceAccessConformance, ASecondNodeSeesWhatTheFirstRecorded) {
  if (IsSqlite()) GTEST_SKIP() << "one node per SQLite store";
  auto other = Open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(ids().RecordServiceUses({UseOf("AIDAU", "iam", "GetUser", 5000, "us-east-1")}).ok());
  EXPECT_EQ(Find(other->identities(), "AIDAU", "iam", "").when_ms, 5000);
  // Its later use wins on the first node too; so does a job it made.
  ASSERT_TRUE(other->identities().RecordServiceUses(
      {UseOf("AIDAU", "iam", "ListUsers", 6000, "eu-west-1")}).ok());
  EXPECT_EQ(Find("AIDAU", "iam", "").region, "eu-west-1");
  ASSERT_TRUE(other->identities().PutServiceAccessJob(
      {"a1b2c3d4-0000-4000-8000-000000000001", kAccount, "owner", 1, WallMs() + 60000, "{}"}).ok());
  EXPECT_TRUE(ids().GetServiceAccessJob("a1b2c3d4-0000-4000-8000-000000000001", WallMs())
                  .value().has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, IamServiceAccessConformance,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const ::testing::TestParamInfo<const char*>& i) {
                           return std::string(i.param);
                         });

}  // namespace
}  // namespace arcana::storage::iam_service_access_conformance
