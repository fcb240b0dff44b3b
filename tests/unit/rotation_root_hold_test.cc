// A secret rotation that runs long (its function waits on a database) and a root-of-trust
// rotation (operator rotate-root) at the same time: the rotation job gives its root-key hold
// back while the function runs (jobs::JobRun::ReleaseRootHold), so rotate-root completes
// instead of rolling back after waiting for it (before: 'requests or background jobs that
// started before it did not finish'); the secret rotation still completes, its
// values readable under the new root alone (also after a restart with the new key). A server
// sealed during the step hands the run back, not completed, and it completes after the
// unseal. Real SQLite store, SealManager (key file), KMS key ring and Secrets Manager; the
// scheduler is driven by hand on a ManualClock; the function is a stand-in that performs its
// steps through the service under a hold of its own, as a request would.
#include <gtest/gtest.h>

#include <filesystem>
#include <future>

#include "auth/authorizer.h"
#include "auth/identity_resolver.h"
#include "common/clock.h"
#include "common/json.h"
#include "crypto/random.h"
#include "jobs/scheduler.h"
#include "rotation/rotation_runner.h"
#include "seal/seal_manager.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_data_key_provider.h"
#include "services/secretsmanager/secrets_manager.h"
#include "storage/stores.h"
#include "rotation_test_support.h"

namespace arcana::rotation::root_hold_test {
namespace {

constexpr const char* kAcct = "123456789012";
constexpr const char* kFn = "arn:aws:lambda:us-east-1:123456789012:function:slow";
constexpr int64_t kStartMs = 1'800'000'000'000;

// Performs each step through the service (each call under a hold of its own, as the HTTP
// stage takes one per request); during `slow_step` it runs `during` first (what happens
// while a function waits on its database).
using SlowFunction = test_support::StepFunction;

class RotationRootHoldTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-rothold-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, dir_.string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
    seal::SealOptions o;
    o.data_dir = dir_.string();
    // The step-3 wait, short: the slow step below lasts longer than it.
    o.older_holds_wait = std::chrono::milliseconds(300);
    sealer_ = std::make_unique<seal::SealManager>(o, stores_->meta(), stores_->root(), root_);
    ASSERT_TRUE(sealer_->Start().ok());
    ASSERT_FALSE(root_.sealed());
    Build();
    ASSERT_TRUE(stores_->functions()
                    .CreateFunction({kAcct, "us-east-1", "slow", "url", "http://127.0.0.1:9/",
                                     "", "{}", 5, 0})
                    .ok());
  }
  // The services over root_ (again after a restart).
  void Build() {
    sched_.reset();
    runner_.reset();
    sm_.reset();
    keys_.reset();
    ring_.reset();
    ring_ = std::make_unique<services::kms::KeyRing>(stores_->kms(), root_);
    keys_ = std::make_unique<services::kms::KmsDataKeyProvider>(*ring_, root_,
                                                               [this] { return clock_.NowMs(); });
    sm_ = std::make_unique<services::sm::SecretsManagerService>(stores_->secrets(), *keys_, root_);
    ids_ = std::make_unique<auth::IdentityResolver>(stores_->identities(), root_);
    fn_.call_ = [this](const std::string& op, const std::string& body) -> Result<std::string> {
      auto hold = root_.TryHold();  // as the request stage does
      if (!hold) return Status(ErrorCode::kServiceUnavailable, "sealed");
      return Call(op, body);
    };
    RotationOptions ro;
    ro.endpoint_url = "http://127.0.0.1:7770";
    runner_ = std::make_unique<RotationRunner>(*sm_, stores_->functions(), stores_->jobs(), *ids_,
                                               fn_, [](const RotationReport&) {}, ro);
    jobs::SchedulerOptions so;
    so.owner = "node-a";
    sched_ = std::make_unique<jobs::Scheduler>(stores_->jobs(), &root_, clock_, so);
    runner_->Register(*sched_);
    sm_->SetRotationLauncher(runner_.get());
  }
  void TearDown() override {
    sched_.reset();
    runner_.reset();
    sm_.reset();
    ids_.reset();
    keys_.reset();
    ring_.reset();
    sealer_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }

  Result<std::string> Call(const std::string& op, const std::string& body) {
    return test_support::CallAsRoot(*sm_, authz_, kAcct, clock_.NowMs(), op, body);
  }
  std::string Field(const Result<std::string>& r, const char* name) {
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return "";
    rapidjson::Document d;
    EXPECT_TRUE(json::ParseBounded(*r, &d).ok());
    return d.HasMember(name) && d[name].IsString() ? d[name].GetString() : "";
  }
  std::string JobName() {
    return std::string(kJobPrefix) + Field(Call("DescribeSecret", R"({"SecretId":"db"})"), "ARN");
  }
  std::string Current() { return Field(Call("GetSecretValue", R"({"SecretId":"db"})"), "SecretString"); }
  // Creates the secret and starts its rotation (due now); returns the rotation's token.
  std::string StartRotation() {
    fn_.current = Field(Call("CreateSecret", R"({"Name":"db","SecretString":"v1","ClientRequestToken":")" +
                                                crypto::NewUuidV4() + R"("})"), "VersionId");
    const std::string token = crypto::NewUuidV4();
    auto r = Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + token +
                                      R"(","RotationLambdaARN":")" + kFn + R"("})");
    EXPECT_TRUE(r.ok()) << r.status().message();
    return token;
  }

  std::filesystem::path dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<storage::Stores> stores_;
  crypto::RootKey root_;
  std::unique_ptr<seal::SealManager> sealer_;
  std::unique_ptr<services::kms::KeyRing> ring_;
  std::unique_ptr<services::kms::KmsDataKeyProvider> keys_;
  std::unique_ptr<services::sm::SecretsManagerService> sm_;
  std::unique_ptr<auth::IdentityResolver> ids_;
  auth::PolicyAuthorizer authz_;
  SlowFunction fn_;
  std::unique_ptr<RotationRunner> runner_;
  std::unique_ptr<jobs::Scheduler> sched_;
};

TEST_F(RotationRootHoldTest, RotateRootCompletesWhileASecretRotationStepRuns) {
  const std::string token = StartRotation();
  const std::string old_id = root_.id();
  std::optional<Result<seal::RotationReport>> rotated;
  // setSecret waits on its database for longer than rotate-root waits for older holds;
  // rotate-root runs meanwhile on the operator's thread.
  fn_.slow_step = "setSecret";
  fn_.during = [&] {
    auto op = std::async(std::launch::async, [&] { return sealer_->RotateRoot(); });
    rotated.emplace(op.get());
  };
  EXPECT_EQ(sched_->RunDue(), 1u);
  ASSERT_TRUE(rotated.has_value());
  ASSERT_TRUE(rotated->ok()) << rotated->status().message();
  EXPECT_NE(root_.id(), old_id);
  EXPECT_EQ((*rotated)->old_root_key_id, old_id);
  // The secret rotation went on and completed after it, under the new root.
  EXPECT_EQ(fn_.steps,
            (std::vector<std::string>{"createSecret", "setSecret", "testSecret", "finishSecret"}));
  EXPECT_EQ(Current(), "new-" + token);
  // Done: no retry waits (no schedule: the job went).
  EXPECT_FALSE(stores_->jobs().GetJob(JobName())->has_value());
  EXPECT_FALSE(stores_->meta().GetMeta("root.pending")->has_value());  // old key dropped

  // A restart knows the new key only: everything, including what the rotation wrote
  // before and after rotate-root, opens.
  sched_.reset();
  sealer_.reset();
  root_.Wipe();
  seal::SealOptions o;
  o.data_dir = dir_.string();
  sealer_ = std::make_unique<seal::SealManager>(o, stores_->meta(), stores_->root(), root_);
  ASSERT_TRUE(sealer_->Start().ok());
  EXPECT_EQ(root_.id(), (*rotated)->new_root_key_id);
  Build();
  EXPECT_EQ(Current(), "new-" + token);
  EXPECT_EQ(Field(Call("GetSecretValue", R"({"SecretId":"db","VersionStage":"AWSPREVIOUS"})"),
                  "SecretString"),
            "v1");
}

TEST_F(RotationRootHoldTest, SealedDuringAStepHandsTheRunBackAndItCompletesAfterTheUnseal) {
  const std::string token = StartRotation();
  const std::string job_name = JobName();
  fn_.slow_step = "setSecret";
  fn_.during = [&] { ASSERT_TRUE(sealer_->Seal().ok()); };
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_TRUE(root_.sealed());
  EXPECT_EQ(fn_.steps, (std::vector<std::string>{"createSecret", "setSecret"}));
  // Not completed: the job keeps its token, claimable again soon after the unseal.
  auto job = stores_->jobs().GetJob(job_name);
  ASSERT_TRUE(job.ok() && job->has_value());
  EXPECT_NE((*job)->payload.find(token), std::string::npos);
  EXPECT_EQ((*job)->due_ms, kStartMs);
  EXPECT_EQ(sched_->RunDue(), 0u);  // sealed: nothing claimed
  ASSERT_TRUE(sealer_->Unseal("").ok());
  fn_.during = nullptr;
  fn_.steps.clear();
  clock_.Advance(std::chrono::seconds(6));  // past sealed_retry
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps,
            (std::vector<std::string>{"createSecret", "setSecret", "testSecret", "finishSecret"}));
  EXPECT_EQ(Current(), "new-" + token);
  EXPECT_FALSE(stores_->jobs().GetJob(job_name)->has_value());
}

}  // namespace
}  // namespace arcana::rotation::root_hold_test
