// The scheduler over the real SQLite JobStore (storage/stores.h): two schedulers on one
// store, as two nodes on one database, run each due time of a periodic job exactly once,
// whether driven pass by pass or by their own loops on the wall clock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "jobs/scheduler.h"
#include "storage/stores.h"

namespace arcana::jobs {
namespace {

using namespace std::chrono_literals;

class SchedulerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("arcana-sched-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    storage::StoreLocation where;
    where.kind = storage::StoreLocation::Kind::kSqlite;
    where.sqlite_dir = dir_.string();
    auto opened = storage::OpenStores(where);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    stores_ = std::move(opened).value();
  }
  void TearDown() override {
    stores_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<storage::Stores> stores_;
  crypto::RootKey unsealed_ = crypto::RootKey::FromBytes(std::string(32, 'k'));
};

TEST_F(SchedulerStoreTest, TwoNodesRunEachDueTimeOnce) {
  ManualClock clock;
  std::atomic<int> runs{0};
  auto handler = [&](JobRun&) {
    ++runs;
    return Status::Ok();
  };
  SchedulerOptions oa, ob;
  oa.owner = "node-a";
  ob.owner = "node-b";
  Scheduler a(stores_->jobs(), &unsealed_, clock, oa);
  Scheduler b(stores_->jobs(), &unsealed_, clock, ob);
  a.Every("purge", 60s, handler);
  b.Every("purge", 60s, handler);
  ASSERT_TRUE(a.EnsureJobs().ok());
  ASSERT_TRUE(b.EnsureJobs().ok());
  for (int round = 1; round <= 10; ++round) {
    EXPECT_EQ(a.RunDue() + b.RunDue(), 0u) << "not due yet, round " << round;
    clock.Advance(61s);
    auto fa = std::async(std::launch::async, [&] { return a.RunDue(); });
    auto fb = std::async(std::launch::async, [&] { return b.RunDue(); });
    EXPECT_EQ(fa.get() + fb.get(), 1u) << "round " << round;
    EXPECT_EQ(runs.load(), round);
    auto job = stores_->jobs().GetJob("purge");
    ASSERT_TRUE(job.ok());
    ASSERT_TRUE(job->has_value());
    EXPECT_EQ((*job)->due_ms, clock.NowMs() + 60'000);
    EXPECT_EQ((*job)->attempts, 0);
  }
}

TEST_F(SchedulerStoreTest, TwoLoopsOnTheWallClockNeverRunADueTimeTwice) {
  std::mutex mu;
  std::multiset<int64_t> due_times;  // each run's due time: a duplicate is a double run
  std::set<std::string> owners;
  auto handler = [&](const std::string& owner) {
    return [&, owner](JobRun& run) {
      std::lock_guard<std::mutex> l(mu);
      due_times.insert(run.job.due_ms);
      owners.insert(owner);
      return Status::Ok();
    };
  };
  SchedulerOptions o;
  o.min_sleep = 5ms;
  o.max_sleep = 20ms;
  o.owner = "node-a";
  Scheduler a(stores_->jobs(), &unsealed_, SystemClock::Instance(), o);
  o.owner = "node-b";
  Scheduler b(stores_->jobs(), &unsealed_, SystemClock::Instance(), o);
  a.Every("tick", 50ms, handler("node-a"));
  b.Every("tick", 50ms, handler("node-b"));
  ASSERT_TRUE(a.Start().ok());
  ASSERT_TRUE(b.Start().ok());
  std::this_thread::sleep_for(1500ms);
  a.Stop();
  b.Stop();
  std::lock_guard<std::mutex> l(mu);
  EXPECT_GE(due_times.size(), 5u);
  for (int64_t due : due_times) EXPECT_EQ(due_times.count(due), 1u) << "due " << due;
}

}  // namespace
}  // namespace arcana::jobs
