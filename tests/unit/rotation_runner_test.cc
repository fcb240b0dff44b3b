// The rotation runner (rotation/rotation_runner.h) on a SQLite store with a ManualClock: a
// scheduled rotation runs when the clock passes NextRotationDate (and not before), a failing
// step is retried with backoff under the same token and then abandoned with AWSCURRENT
// untouched, and the next scheduled run takes the pending rotation over. The function is a
// stand-in that performs each step through the service, as AWS's templates do.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "auth/authorizer.h"
#include "auth/identity_resolver.h"
#include "common/clock.h"
#include "common/json.h"
#include "crypto/random.h"
#include "jobs/scheduler.h"
#include "rotation/rotation_runner.h"
#include "services/kms/key_ring.h"
#include "services/kms/kms_data_key_provider.h"
#include "services/secretsmanager/secrets_manager.h"
#include "storage/stores.h"
#include "rotation_test_support.h"

namespace arcana::rotation {
namespace {

constexpr const char* kAcct = "123456789012";
constexpr const char* kFn = "arn:aws:lambda:us-east-1:123456789012:function:fake";
constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kStartMs = 1'800'000'000'000;  // the test clock: 2027-01-15T08:00:00Z

using FakeFunction = test_support::StepFunction;

class RotationRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("arcana-rotation-" + crypto::NewUuidV4());
    std::filesystem::create_directories(dir_);
    auto s = storage::OpenStores({storage::StoreLocation::Kind::kSqlite, dir_.string(), ""});
    ASSERT_TRUE(s.ok()) << s.status().message();
    stores_ = std::move(s).value();
    ring_ = std::make_unique<services::kms::KeyRing>(stores_->kms(), root_);
    keys_ = std::make_unique<services::kms::KmsDataKeyProvider>(*ring_, root_,
                                                               [this] { return clock_.NowMs(); });
    sm_ = std::make_unique<services::sm::SecretsManagerService>(stores_->secrets(), *keys_, root_);
    ids_ = std::make_unique<auth::IdentityResolver>(stores_->identities(), root_);
    fn_.call_ = [this](const std::string& op, const std::string& body) { return Call(op, body); };
    fn_.expect_session_credentials = true;
    ASSERT_TRUE(stores_->functions()
                    .CreateFunction({kAcct, "us-east-1", "fake", "url", "http://127.0.0.1:9/",
                                     "", "{}", 5, 0})
                    .ok());
    RotationOptions o;
    o.endpoint_url = "http://127.0.0.1:7770";
    o.retry_base = std::chrono::milliseconds(1000);
    runner_ = std::make_unique<RotationRunner>(
        *sm_, stores_->functions(), stores_->jobs(), *ids_, fn_,
        [this](const RotationReport& r) { events_.push_back(r.event); },
        o);
    sched_ = std::make_unique<jobs::Scheduler>(stores_->jobs(), nullptr, clock_);
    runner_->Register(*sched_);
    sm_->SetRotationLauncher(runner_.get());
  }
  void TearDown() override {
    sched_.reset();
    runner_.reset();
    sm_.reset();
    keys_.reset();
    ring_.reset();
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }

  Result<std::string> Call(const std::string& op, const std::string& body) {
    return test_support::CallAsRoot(*sm_, authz_, kAcct, clock_.NowMs(), op, body);
  }
  rapidjson::Document Describe() {
    auto r = Call("DescribeSecret", R"({"SecretId":"db"})");
    EXPECT_TRUE(r.ok()) << r.status().message();
    rapidjson::Document d;
    EXPECT_TRUE(json::ParseBounded(*r, &d).ok());
    return d;
  }
  std::vector<std::string> Stages(const std::string& version) {
    auto d = Describe();
    std::vector<std::string> out;
    if (!d.HasMember("VersionIdsToStages") || !d["VersionIdsToStages"].HasMember(version.c_str())) {
      return out;
    }
    for (const auto& s : d["VersionIdsToStages"][version.c_str()].GetArray()) out.push_back(s.GetString());
    std::sort(out.begin(), out.end());
    return out;
  }
  std::string Arn() { return Describe()["ARN"].GetString(); }
  // The rotation job's due time, -1 when there is none.
  int64_t JobDueMs() {
    auto job = stores_->jobs().GetJob(std::string(kJobPrefix) + Arn());
    EXPECT_TRUE(job.ok());
    return job.ok() && *job ? (*job)->due_ms : -1;
  }
  Status Put(const std::string& value) {
    return Call("PutSecretValue", R"({"SecretId":"db","ClientRequestToken":")" +
                                      crypto::NewUuidV4() + R"(","SecretString":")" + value +
                                      R"("})")
        .status();
  }
  std::string CreateSecret() {
    auto r = Call("CreateSecret", R"({"Name":"db","SecretString":"v1","ClientRequestToken":")" +
                                      crypto::NewUuidV4() + R"("})");
    EXPECT_TRUE(r.ok()) << r.status().message();
    rapidjson::Document d;
    EXPECT_TRUE(json::ParseBounded(*r, &d).ok());
    return d["VersionId"].GetString();
  }

  std::filesystem::path dir_;
  ManualClock clock_{kStartMs};
  std::unique_ptr<storage::Stores> stores_;
  crypto::RootKey root_ = crypto::RootKey::FromBytes(std::string(32, '\x42'));
  std::unique_ptr<services::kms::KeyRing> ring_;
  std::unique_ptr<services::kms::KmsDataKeyProvider> keys_;
  std::unique_ptr<services::sm::SecretsManagerService> sm_;
  std::unique_ptr<auth::IdentityResolver> ids_;
  auth::PolicyAuthorizer authz_;
  FakeFunction fn_;
  std::vector<std::string> events_;
  std::unique_ptr<RotationRunner> runner_;
  std::unique_ptr<jobs::Scheduler> sched_;
};

TEST_F(RotationRunnerTest, ScheduledRotationRunsWhenTheClockPassesNextRotationDate) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  auto r = Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + crypto::NewUuidV4() +
                                    R"(","RotationLambdaARN":")" + kFn +
                                    R"j(","RotationRules":{"ScheduleExpression":"rate(4 hours)"},)j"
                                    R"j("RotateImmediately":false})j");
  ASSERT_TRUE(r.ok()) << r.status().message();
  const int64_t configured = clock_.NowMs();
  EXPECT_EQ(sched_->RunDue(), 1u);  // RotateImmediately=false: testSecret only
  EXPECT_EQ(fn_.steps, std::vector<std::string>{"testSecret"});
  EXPECT_EQ(Describe()["VersionIdsToStages"].MemberCount(), 1u);  // placeholder dropped
  // Configured at 08:00: the next rate(4 hours) window is 12:00-12:59:59; NextRotationDate is
  // its end, the run is due at its start.
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (configured + 5 * kHourMs) / 1000 - 1);

  clock_.Advance(std::chrono::hours(4) - std::chrono::seconds(1));
  EXPECT_EQ(sched_->RunDue(), 0u);  // not due yet
  clock_.Advance(std::chrono::seconds(2));
  fn_.steps.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps,
            (std::vector<std::string>{"createSecret", "setSecret", "testSecret", "finishSecret"}));
  EXPECT_EQ(Stages(v1), std::vector<std::string>{"AWSPREVIOUS"});
  auto d = Describe();
  EXPECT_EQ(d["LastRotatedDate"].GetDouble(), clock_.NowMs() / 1000.0);
  EXPECT_EQ(d["NextRotationDate"].GetDouble(), (configured + 9 * kHourMs) / 1000 - 1);  // 16:59:59
  EXPECT_EQ(events_, (std::vector<std::string>{"RotationStarted", "RotationStarted",
                                               "RotationSucceeded"}));
}

TEST_F(RotationRunnerTest, RotateSecretLandingAsARunEndsRunsNext) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  const std::string t1 = crypto::NewUuidV4(), t2 = crypto::NewUuidV4();
  // A client whose rotation finished (AWSCURRENT moved) rotates again before the run's job
  // completed: that rotation must not be dropped with the end of the first run.
  fn_.after_finish = [&](const std::string& token) {
    if (token != t1) return;
    fn_.current = t1;
    auto again = Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + t2 + R"("})");
    EXPECT_TRUE(again.ok()) << again.status().message();
  };
  auto r = Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + t1 +
                                    R"(","RotationLambdaARN":")" + kFn + R"("})");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(Stages(t1), std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(Stages(t2), std::vector<std::string>{"AWSPENDING"});
  EXPECT_EQ(sched_->RunDue(), 1u);  // due at once, with t2
  EXPECT_EQ(Stages(t2)[0], "AWSCURRENT");
  EXPECT_EQ(Stages(t1), std::vector<std::string>{"AWSPREVIOUS"});
}

TEST_F(RotationRunnerTest, FailingStepIsRetriedWithBackoffThenTakenOverBySchedule) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  fn_.failing = "testSecret";
  const std::string token = crypto::NewUuidV4();
  auto r = Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + token +
                                    R"(","RotationLambdaARN":")" + kFn +
                                    R"j(","RotationRules":{"ScheduleExpression":"rate(4 hours)"}})j");
  ASSERT_TRUE(r.ok()) << r.status().message();
  // 5 runs, 1 s, 2 s, 4 s, 8 s apart; none completes, AWSCURRENT stays, AWSPENDING stays.
  for (int64_t wait_s : {0, 1, 2, 4, 8}) {
    if (wait_s > 1) {
      clock_.Advance(std::chrono::seconds(wait_s) - std::chrono::milliseconds(1));
      EXPECT_EQ(sched_->RunDue(), 0u) << wait_s;
      clock_.Advance(std::chrono::milliseconds(1));
    } else {
      clock_.Advance(std::chrono::seconds(wait_s));
    }
    EXPECT_EQ(sched_->RunDue(), 1u) << wait_s;
    EXPECT_EQ(Stages(v1), std::vector<std::string>{"AWSCURRENT"});
    EXPECT_EQ(Stages(token), std::vector<std::string>{"AWSPENDING"});
  }
  EXPECT_EQ(std::count(events_.begin(), events_.end(), "RotationFailed"), 5);
  EXPECT_EQ(events_.back(), "RotationAbandoned");
  // Abandoned: NextRotationDate moves to the next window counted from now; a new RotateSecret
  // is refused; the schedule reattempts the same version.
  // (15 s after 08:00: the 12:00-12:59:59 window.)
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(),
            (kStartMs + 5 * kHourMs) / 1000 - 1);
  EXPECT_EQ(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                     crypto::NewUuidV4() + R"("})").status().code(),
            ErrorCode::kInvalidRequest);
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(sched_->RunDue(), 0u);
  fn_.failing.clear();
  clock_.Advance(std::chrono::hours(4));
  EXPECT_EQ(sched_->RunDue(), 1u);
  // The completed rotation takes AWSPENDING off the new current version (as AWS does).
  EXPECT_EQ(Stages(token), std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(Stages(v1), std::vector<std::string>{"AWSPREVIOUS"});
}

TEST_F(RotationRunnerTest, RetryThatComesDueWhileDeletedRunsAfterRestore) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  fn_.failing = "setSecret";
  const std::string token = crypto::NewUuidV4();
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + token +
                                       R"(","RotationLambdaARN":")" + kFn +
                                       R"j(","RotationRules":{"AutomaticallyAfterDays":30}})j")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);  // fails; retried in 1 s
  ASSERT_TRUE(Call("DeleteSecret", R"({"SecretId":"db","RecoveryWindowInDays":7})").ok());
  clock_.Advance(std::chrono::seconds(1));
  fn_.steps.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);  // the retry comes due while the secret is deleted
  EXPECT_TRUE(fn_.steps.empty());
  EXPECT_GE(JobDueMs(), clock_.NowMs());  // kept, waiting
  clock_.Advance(std::chrono::hours(30));
  EXPECT_EQ(sched_->RunDue(), 0u);
  // Restored: the pending retry runs (RotateSecret promised "That rotation will be
  // reattempted"), with the same token.
  ASSERT_TRUE(Call("RestoreSecret", R"({"SecretId":"db"})").ok());
  fn_.failing.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps,
            (std::vector<std::string>{"createSecret", "setSecret", "testSecret", "finishSecret"}));
  EXPECT_EQ(Stages(token), std::vector<std::string>{"AWSCURRENT"});
  EXPECT_EQ(Stages(v1), std::vector<std::string>{"AWSPREVIOUS"});
  EXPECT_GT(JobDueMs(), clock_.NowMs() + 29 * kDayMs);  // on to the schedule
}

TEST_F(RotationRunnerTest, ScheduledRotationThatPassedWhileDeletedRunsAfterRestore) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","RotationLambdaARN":")" + kFn +
                                       R"j(","RotationRules":{"ScheduleExpression":"rate(4 hours)"},)j"
                                       R"j("RotateImmediately":false})j")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);  // testSecret only
  ASSERT_TRUE(Call("DeleteSecret", R"({"SecretId":"db","RecoveryWindowInDays":7})").ok());
  clock_.Advance(std::chrono::hours(5));  // the 12:00 window passes while deleted
  fn_.steps.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_TRUE(fn_.steps.empty());
  EXPECT_EQ(JobDueMs(), kStartMs + 7 * kDayMs);  // waits until the deletion date
  ASSERT_TRUE(Call("RestoreSecret", R"({"SecretId":"db"})").ok());
  EXPECT_EQ(JobDueMs(), clock_.NowMs());
  EXPECT_EQ(sched_->RunDue(), 1u);  // the missed window: at once
  EXPECT_EQ(fn_.steps,
            (std::vector<std::string>{"createSecret", "setSecret", "testSecret", "finishSecret"}));
  EXPECT_EQ(Stages(v1), std::vector<std::string>{"AWSPREVIOUS"});
  // 13:00 now: the next window is 16:00-16:59:59, and the run is due at 16:00.
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (kStartMs + 9 * kHourMs) / 1000 - 1);
  EXPECT_EQ(JobDueMs(), kStartMs + 8 * kHourMs);
}

TEST_F(RotationRunnerTest, DeletedSecretsJobGoesAtTheDeletionDate) {
  CreateSecret();
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","RotationLambdaARN":")" + kFn +
                                       R"j(","RotationRules":{"ScheduleExpression":"rate(4 hours)"},)j"
                                       R"j("RotateImmediately":false})j")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);
  const std::string arn = Arn();
  ASSERT_TRUE(Call("DeleteSecret", R"({"SecretId":"db","RecoveryWindowInDays":7})").ok());
  clock_.Advance(std::chrono::hours(5));
  EXPECT_EQ(sched_->RunDue(), 1u);
  clock_.Advance(std::chrono::hours(7 * 24));
  EXPECT_EQ(sched_->RunDue(), 1u);  // the deletion date: the job goes with the secret
  auto job = stores_->jobs().GetJob(std::string(kJobPrefix) + arn);
  ASSERT_TRUE(job.ok());
  EXPECT_FALSE(job->has_value());
}

TEST_F(RotationRunnerTest, ManualValueUpdateCountsAsARotationForTheSchedule) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  // Configured at 08:00 on day D: AutomaticallyAfterDays 2 rotates within day D+2.
  const int64_t day = kStartMs - 8 * kHourMs;
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","RotationLambdaARN":")" + kFn +
                                       R"j(","RotationRules":{"AutomaticallyAfterDays":2},)j"
                                       R"j("RotateImmediately":false})j")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (day + 3 * kDayMs) / 1000 - 1);
  EXPECT_EQ(JobDueMs(), day + 2 * kDayMs);
  // D+1 04:00: a manual PutSecretValue is a rotation: the window is day D+3 now, and the
  // scheduled run moves with it. LastRotatedDate stays the rotation runs' (none yet).
  clock_.Advance(std::chrono::hours(20));
  ASSERT_TRUE(Put("manual").ok());
  auto d = Describe();
  EXPECT_EQ(d["NextRotationDate"].GetDouble(), (day + 4 * kDayMs) / 1000 - 1);
  EXPECT_FALSE(d.HasMember("LastRotatedDate"));
  EXPECT_EQ(JobDueMs(), day + 3 * kDayMs);
  // D+2 05:00: UpdateSecret with a value counts the same way (day D+4); one without a value
  // does not.
  clock_.Advance(std::chrono::hours(25));
  ASSERT_TRUE(Call("UpdateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","SecretString":"manual2"})")
                  .ok());
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (day + 5 * kDayMs) / 1000 - 1);
  EXPECT_EQ(JobDueMs(), day + 4 * kDayMs);
  clock_.Advance(std::chrono::hours(24));
  ASSERT_TRUE(Call("UpdateSecret", R"({"SecretId":"db","Description":"meta only"})").ok());
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (day + 5 * kDayMs) / 1000 - 1);
  // A value that does not become AWSCURRENT is no rotation.
  ASSERT_TRUE(Call("PutSecretValue", R"({"SecretId":"db","ClientRequestToken":")" +
                                         crypto::NewUuidV4() +
                                         R"(","SecretString":"staged","VersionStages":["NEXT"]})")
                  .ok());
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (day + 5 * kDayMs) / 1000 - 1);
  // Nothing runs before day D+4; then the scheduled rotation does, and the rotation's own
  // writes (filling AWSPENDING) count only as the run: next from the run.
  EXPECT_EQ(sched_->RunDue(), 0u);
  const auto described = Describe();  // kept: the loop reads into it
  for (const auto& m : described["VersionIdsToStages"].GetObject()) {
    for (const auto& st : m.value.GetArray()) {
      if (std::string(st.GetString()) == "AWSCURRENT") fn_.current = m.name.GetString();
    }
  }
  clock_.Advance(std::chrono::hours(19));  // D+4 00:00
  fn_.steps.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps.size(), 4u);
  d = Describe();
  EXPECT_EQ(d["LastRotatedDate"].GetDouble(), clock_.NowMs() / 1000.0);
  EXPECT_EQ(d["NextRotationDate"].GetDouble(), (day + 7 * kDayMs) / 1000 - 1);
  EXPECT_EQ(JobDueMs(), day + 6 * kDayMs);
}

// RotateImmediately=false on a secret that rotated before: a cron schedule's next window is
// the one after now (the cron does not depend on the previous rotation), and a schedule
// counted from the previous rotation whose window is over counts from now; neither may give a
// NextRotationDate in the past or a run at once outside a window.
TEST_F(RotationRunnerTest, NewRulesWithoutImmediateRotationNeverScheduleInThePast) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","RotationLambdaARN":")" + kFn +
                                       R"(","RotationRules":{"AutomaticallyAfterDays":1}})")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);  // rotated Friday 2027-01-15 08:00
  ASSERT_TRUE(Describe().HasMember("LastRotatedDate"));
  const int64_t day0 = kStartMs / kDayMs * kDayMs;
  clock_.Advance(std::chrono::hours(72));  // Monday 08:00
  const int64_t monday = day0 + 3 * kDayMs;

  fn_.steps.clear();
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() +
                                       R"j(","RotationRules":{"ScheduleExpression":"cron(0 4 ? * SUN *)","Duration":"2h"},)j"
                                       R"j("RotateImmediately":false})j")
                  .ok());
  // Sunday 2027-01-24 04:00-05:59:59, not the past Sunday counted from the last rotation.
  const int64_t sunday = monday + 6 * kDayMs;
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (sunday + 6 * kHourMs) / 1000 - 1);
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps, std::vector<std::string>{"testSecret"});  // no rotation now
  EXPECT_EQ(JobDueMs(), sunday + 4 * kHourMs);

  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() +
                                       R"(","RotationRules":{"AutomaticallyAfterDays":2},)"
                                       R"("RotateImmediately":false})")
                  .ok());
  // Two days after the last rotation was Sunday: over, so two days from now (Wednesday).
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), (monday + 3 * kDayMs) / 1000 - 1);
  fn_.steps.clear();
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(fn_.steps, std::vector<std::string>{"testSecret"});
  EXPECT_EQ(JobDueMs(), monday + 2 * kDayMs);
}

TEST_F(RotationRunnerTest, ManualValueUpdateLeavesACronScheduleAndAPendingRetry) {
  const std::string v1 = CreateSecret();
  fn_.current = v1;
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" +
                                       crypto::NewUuidV4() + R"(","RotationLambdaARN":")" + kFn +
                                       R"j(","RotationRules":{"ScheduleExpression":"cron(0 10 * * ? *)"},)j"
                                       R"j("RotateImmediately":false})j")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);
  const double next = Describe()["NextRotationDate"].GetDouble();
  EXPECT_EQ(next, (kStartMs + 16 * kHourMs) / 1000 - 1);  // 10:00, to the end of the day
  EXPECT_EQ(JobDueMs(), kStartMs + 2 * kHourMs);
  clock_.Advance(std::chrono::hours(1));
  ASSERT_TRUE(Put("manual").ok());
  EXPECT_EQ(Describe()["NextRotationDate"].GetDouble(), next);
  EXPECT_EQ(JobDueMs(), kStartMs + 2 * kHourMs);

  // A retry waiting with its token is abandoned by the manual value (AWS's
  // RotationAbandoned): AWSPENDING leaves its version and the job is the scheduled rotation
  // again, due at the window counted from the manual update.
  fn_.failing = "setSecret";
  const std::string token = crypto::NewUuidV4();
  ASSERT_TRUE(Call("RotateSecret", R"({"SecretId":"db","ClientRequestToken":")" + token +
                                       R"(","RotationRules":{"AutomaticallyAfterDays":5}})")
                  .ok());
  EXPECT_EQ(sched_->RunDue(), 1u);
  EXPECT_EQ(JobDueMs(), clock_.NowMs() + 1000);
  EXPECT_EQ(Stages(token), std::vector<std::string>{"AWSPENDING"});
  ASSERT_TRUE(Put("manual2").ok());
  EXPECT_EQ(events_.back(), "RotationAbandoned");
  EXPECT_TRUE(Stages(token).empty());
  EXPECT_EQ(JobDueMs(), (clock_.NowMs() + 5 * kDayMs) / kDayMs * kDayMs);
  fn_.failing.clear();
  clock_.Advance(std::chrono::seconds(2));
  EXPECT_EQ(sched_->RunDue(), 0u);  // no retry of the abandoned token
}

}  // namespace
}  // namespace arcana::rotation
