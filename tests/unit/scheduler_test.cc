// The leased-job scheduler (jobs/scheduler.h) against an in-memory JobStore with the
// contract of storage/job_store.h and a ManualClock: periodic registration keeps an existing
// row, a due job runs once and is rescheduled, one-shot jobs are deleted, failures are
// retried, a sealed root key skips without completing, a run gives its root-key hold back
// and retakes one of the current generation (not completed when that finds it sealed), a
// lost lease is never completed, a long run renews its lease, a claimed job re-takes its
// lease before it runs (not run when another node took it while it waited), Stop() wakes
// the loop, and two schedulers on one store run a due job exactly once.
#include "jobs/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace arcana::jobs {
namespace {

using namespace std::chrono_literals;

// storage::JobStore's contract, in memory. Hooks let a test act at the store's moments.
class FakeJobStore : public storage::JobStore {
 public:
  struct Row {
    storage::Job job;
    std::string owner;
    int64_t lease_until = 0;
  };

  Status ScheduleJob(const std::string& name, int64_t due_ms, const std::string& payload,
                     bool replace_due) override {
    std::lock_guard<std::mutex> l(mu);
    auto it = rows.find(name);
    if (it == rows.end()) {
      rows[name] = Row{storage::Job{name, due_ms, payload, 0, 0}, "", 0};
    } else if (replace_due) {
      it->second.job.due_ms = due_ms;
      it->second.job.payload = payload;
      ++it->second.job.generation;
    }
    return Status::Ok();
  }
  Status CancelJob(const std::string& name) override {
    std::lock_guard<std::mutex> l(mu);
    rows.erase(name);
    return Status::Ok();
  }
  Result<std::optional<storage::Job>> GetJob(const std::string& name) override {
    std::lock_guard<std::mutex> l(mu);
    auto it = rows.find(name);
    if (it == rows.end()) return std::optional<storage::Job>();
    return std::optional<storage::Job>(it->second.job);
  }
  Result<std::vector<storage::Job>> ClaimDueJobs(const std::string& owner, int64_t now_ms,
                                                 int64_t lease_ms, size_t limit) override {
    std::vector<storage::Job> out;
    {
      std::lock_guard<std::mutex> l(mu);
      ++claims;
      std::vector<Row*> due;
      for (auto& [name, row] : rows) {
        if (row.job.due_ms <= now_ms && row.lease_until <= now_ms) due.push_back(&row);
      }
      std::sort(due.begin(), due.end(),
                [](Row* a, Row* b) { return a->job.due_ms < b->job.due_ms; });
      for (Row* row : due) {
        if (out.size() >= limit) break;
        row->owner = owner;
        row->lease_until = now_ms + lease_ms;
        ++row->job.attempts;
        out.push_back(row->job);
      }
    }
    if (on_claim) on_claim();
    return out;
  }
  Result<bool> RenewJobLease(const std::string& name, const std::string& owner,
                             int64_t until_ms) override {
    std::lock_guard<std::mutex> l(mu);
    ++renewals;
    auto it = rows.find(name);
    if (it == rows.end() || it->second.owner != owner) return false;
    it->second.lease_until = until_ms;
    return true;
  }
  Status CompleteJob(const storage::Job& claimed, const std::string& owner,
                     std::optional<int64_t> next_due_ms,
                     std::optional<std::string> next_payload) override {
    std::lock_guard<std::mutex> l(mu);
    auto it = rows.find(claimed.name);
    if (it == rows.end() || it->second.owner != owner) {
      return Status(ErrorCode::kWriteConflict, "lease not held");
    }
    ++completions;
    if (it->second.job.generation != claimed.generation) {  // rescheduled during the run
      it->second.job.attempts = 0;
      it->second.owner.clear();
      it->second.lease_until = 0;
      return Status::Ok();
    }
    if (!next_due_ms) {
      rows.erase(it);
      return Status::Ok();
    }
    it->second.job.due_ms = *next_due_ms;
    if (next_payload) it->second.job.payload = *next_payload;
    it->second.job.attempts = 0;
    it->second.owner.clear();
    it->second.lease_until = 0;
    return Status::Ok();
  }
  Result<std::optional<int64_t>> NextDueMs() override {
    std::lock_guard<std::mutex> l(mu);
    std::optional<int64_t> next;
    for (auto& [name, row] : rows) {
      if (!next || row.job.due_ms < *next) next = row.job.due_ms;
    }
    return next;
  }

  Row Get(const std::string& name) {
    std::lock_guard<std::mutex> l(mu);
    return rows.at(name);
  }
  bool Has(const std::string& name) {
    std::lock_guard<std::mutex> l(mu);
    return rows.count(name) != 0;
  }
  // Another node takes the lease (as after an expiry).
  void Steal(const std::string& name) {
    std::lock_guard<std::mutex> l(mu);
    rows.at(name).owner = "other-node";
  }

  std::mutex mu;
  std::map<std::string, Row> rows;
  std::function<void()> on_claim;
  int claims = 0;
  int renewals = 0;
  int completions = 0;
};

SchedulerOptions Fast(std::string owner) {
  SchedulerOptions o;
  o.owner = std::move(owner);
  o.min_sleep = 5ms;
  o.max_sleep = 20ms;
  return o;
}

class SchedulerTest : public ::testing::Test {
 protected:
  FakeJobStore store_;
  ManualClock clock_;
  crypto::RootKey unsealed_ = crypto::RootKey::FromBytes(std::string(32, 'k'));
};

TEST_F(SchedulerTest, PeriodicJobIsCreatedOncePeriodAheadAndKeepsAnExistingDue) {
  Scheduler a(store_, &unsealed_, clock_, Fast("a"));
  a.Every("purge", 60s, [](JobRun&) { return Status::Ok(); });
  ASSERT_TRUE(a.EnsureJobs().ok());
  const int64_t due = store_.Get("purge").job.due_ms;
  EXPECT_EQ(due, clock_.NowMs() + 60'000);
  // A second node starting later keeps the first node's due time.
  clock_.Advance(30s);
  Scheduler b(store_, &unsealed_, clock_, Fast("b"));
  b.Every("purge", 60s, [](JobRun&) { return Status::Ok(); });
  ASSERT_TRUE(b.EnsureJobs().ok());
  EXPECT_EQ(store_.Get("purge").job.due_ms, due);
}

TEST_F(SchedulerTest, DueJobRunsOnceUnderAHoldAndIsRescheduledOnePeriodAfterTheRun) {
  Scheduler s(store_, &unsealed_, clock_, Fast("a"));
  int runs = 0;
  s.Every("purge", 60s, [&](JobRun& run) {
    ++runs;
    EXPECT_EQ(run.job.name, "purge");
    EXPECT_FALSE(run.should_stop());
    EXPECT_FALSE(unsealed_.sealed());
    clock_.Advance(2s);  // the run takes a while
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  EXPECT_EQ(s.RunDue(), 0u);  // not due yet
  clock_.Advance(60s);
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_EQ(runs, 1);
  auto row = store_.Get("purge");
  EXPECT_EQ(row.job.due_ms, clock_.NowMs() + 60'000);  // from the end of the run
  EXPECT_EQ(row.owner, "");
  EXPECT_EQ(row.job.attempts, 0);
  EXPECT_EQ(s.RunDue(), 0u);
  EXPECT_EQ(runs, 1);
}

TEST_F(SchedulerTest, OneShotPrefixJobsAreDeletedAndMayChooseTheirNextDue) {
  Scheduler s(store_, &unsealed_, clock_, Fast("a"));
  std::vector<std::string> ran;
  s.OnPrefix("rotation:", std::nullopt, [&](JobRun& run) {
    ran.push_back(run.job.name + "/" + run.job.payload);
    if (run.job.name == "rotation:again") run.reschedule_at_ms = run.now_ms + 5'000;
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  const int64_t now = clock_.NowMs();
  ASSERT_TRUE(store_.ScheduleJob("rotation:once", now, "p1", false).ok());
  ASSERT_TRUE(store_.ScheduleJob("rotation:again", now, "p2", false).ok());
  EXPECT_EQ(s.RunDue(), 2u);
  EXPECT_EQ(ran.size(), 2u);
  EXPECT_FALSE(store_.Has("rotation:once"));
  ASSERT_TRUE(store_.Has("rotation:again"));
  EXPECT_EQ(store_.Get("rotation:again").job.due_ms, now + 5'000);
}

TEST_F(SchedulerTest, FailedRunsAreRetriedLater) {
  SchedulerOptions o = Fast("a");
  o.failure_retry = 7s;
  Scheduler s(store_, &unsealed_, clock_, o);
  s.Every("flaky", 60s, [](JobRun&) -> Status { throw std::runtime_error("bug"); });
  s.OnPrefix("once:", std::nullopt,
             [](JobRun&) { return Status(ErrorCode::kServiceUnavailable, "store down"); });
  ASSERT_TRUE(s.EnsureJobs().ok());
  ASSERT_TRUE(store_.ScheduleJob("once:x", clock_.NowMs(), "", false).ok());
  clock_.Advance(60s);
  EXPECT_EQ(s.RunDue(), 2u);
  EXPECT_EQ(store_.Get("flaky").job.due_ms, clock_.NowMs() + 60'000);  // next period
  EXPECT_EQ(store_.Get("once:x").job.due_ms, clock_.NowMs() + 7'000);  // kept, retried
}

TEST_F(SchedulerTest, SealedRootClaimsNothing) {
  crypto::RootKey sealed;
  Scheduler s(store_, &sealed, clock_, Fast("a"));
  int runs = 0;
  s.Every("purge", 60s, [&](JobRun&) {
    ++runs;
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  clock_.Advance(61s);
  EXPECT_EQ(s.RunDue(), 0u);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(store_.Get("purge").owner, "");  // left for a node that can run it
  EXPECT_EQ(store_.claims, 0);
}

TEST_F(SchedulerTest, JobClaimedAsTheServerSealsIsNotRunNorCompletedAndRetriedSoon) {
  crypto::RootKey root = crypto::RootKey::FromBytes(std::string(32, 'k'));
  SchedulerOptions o = Fast("a");
  o.sealed_retry = 5s;
  Scheduler s(store_, &root, clock_, o);
  int runs = 0;
  s.Every("purge", 60s, [&](JobRun&) {
    ++runs;
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  const int64_t due = store_.Get("purge").job.due_ms;
  clock_.Advance(60s);
  store_.on_claim = [&] { root.Wipe(); };  // sealed between the claim and the run
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(store_.completions, 0);
  auto row = store_.Get("purge");
  EXPECT_EQ(row.job.due_ms, due);  // still due
  EXPECT_EQ(row.lease_until, clock_.NowMs() + 5'000);  // claimable again soon, not in 60 s
}

TEST_F(SchedulerTest, ARunGivesItsRootHoldBackSoARootRotationNeedNotWaitForItsEnd) {
  crypto::RootKey root = crypto::RootKey::FromBytes(std::string(32, 'k'));
  Scheduler s(store_, &root, clock_, Fast("a"));
  bool waited_for_run = false, rotation_went_on = false, new_generation = false;
  s.Every("long", 60s, [&](JobRun& run) {
    // A root rotation begins while the run uses the key: it waits for the run's hold ...
    EXPECT_TRUE(root.BeginRotation(std::string(32, 'n')).ok());
    const uint64_t rotated = root.generation();
    auto rotation = std::async(std::launch::async,
                               [&] { return root.WaitForOlderHolds(std::chrono::seconds(10)); });
    waited_for_run =
        rotation.wait_for(std::chrono::milliseconds(150)) == std::future_status::timeout;
    // ... until the run, done with the key for a while (it waits on a function), gives it
    // back: the rotation goes on during the wait, not after the run.
    run.ReleaseRootHold();
    rotation_went_on = rotation.wait_for(std::chrono::seconds(5)) == std::future_status::ready &&
                       rotation.get();
    // Before using the key again it holds the new generation, which a later wait counts.
    EXPECT_TRUE(run.RetakeRootHold());
    EXPECT_FALSE(run.should_stop());
    root.FinishRotation();
    EXPECT_TRUE(root.BeginRotation(std::string(32, 'm')).ok());  // the next rotation
    new_generation = !root.WaitForHoldsSince(rotated, std::chrono::milliseconds(0));
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  clock_.Advance(60s);
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_TRUE(waited_for_run);
  EXPECT_TRUE(rotation_went_on);
  EXPECT_TRUE(new_generation);
  EXPECT_TRUE(root.WaitForHoldsSince(0, std::chrono::milliseconds(0)));  // none left
  EXPECT_EQ(store_.completions, 1);
}

TEST_F(SchedulerTest, ARunThatFindsTheServerSealedWhenItRetakesItsHoldIsNotCompleted) {
  crypto::RootKey root = crypto::RootKey::FromBytes(std::string(32, 'k'));
  SchedulerOptions o = Fast("a");
  o.sealed_retry = 5s;
  Scheduler s(store_, &root, clock_, o);
  bool retaken = true, stop = false;
  s.Every("long", 60s, [&](JobRun& run) {
    run.ReleaseRootHold();
    root.Wipe();  // sealed while the run waited
    retaken = run.RetakeRootHold();
    stop = run.should_stop();
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  clock_.Advance(60s);
  const int64_t due = store_.Get("long").job.due_ms;
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_FALSE(retaken);
  EXPECT_TRUE(stop);
  EXPECT_EQ(store_.completions, 0);
  auto row = store_.Get("long");
  EXPECT_EQ(row.job.due_ms, due);  // still due: it runs again after the unseal
  EXPECT_EQ(row.lease_until, clock_.NowMs() + 5'000);
}

TEST_F(SchedulerTest, LostLeaseIsNeverCompleted) {
  Scheduler s(store_, &unsealed_, clock_, Fast("a"));
  s.Every("purge", 60s, [&](JobRun&) {
    store_.Steal("purge");  // our lease expired and another node claimed the job
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  clock_.Advance(60s);
  const int64_t due = store_.Get("purge").job.due_ms;
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_EQ(store_.completions, 0);
  auto row = store_.Get("purge");
  EXPECT_EQ(row.owner, "other-node");
  EXPECT_EQ(row.job.due_ms, due);  // the new holder decides
}

TEST_F(SchedulerTest, LongRunRenewsItsLeaseAndStopsWhenARenewalIsRefused) {
  SchedulerOptions o = Fast("a");
  o.lease = 60s;
  o.renew_every = 5ms;
  Scheduler s(store_, &unsealed_, clock_, o);
  bool renewed_seen = false, stop_seen = false;
  s.Every("long", 60s, [&](JobRun& run) {
    const int64_t first_lease = store_.Get("long").lease_until;
    clock_.Advance(30s);
    // Renewals push the lease to (now + lease) while the run lasts.
    for (int i = 0; i < 400 && !renewed_seen; ++i) {
      renewed_seen = store_.Get("long").lease_until > first_lease;
      std::this_thread::sleep_for(5ms);
    }
    store_.Steal("long");
    for (int i = 0; i < 400 && !stop_seen; ++i) {
      stop_seen = run.should_stop();
      std::this_thread::sleep_for(5ms);
    }
    return Status::Ok();
  });
  ASSERT_TRUE(s.EnsureJobs().ok());
  clock_.Advance(60s);
  EXPECT_EQ(s.RunDue(), 1u);
  EXPECT_TRUE(renewed_seen);
  EXPECT_TRUE(stop_seen) << "a refused renewal did not tell the handler to stop";
  EXPECT_EQ(store_.completions, 0);
  EXPECT_EQ(store_.Get("long").owner, "other-node");
}

// A batch shares the claim's lease. A job waiting its turn behind a run that outlasts it may
// be claimed and run by another node meanwhile: this node must not run that due time again.
TEST_F(SchedulerTest, AJobThatWaitedPastItsLeaseAndWasTakenElsewhereIsNotRunAgain) {
  Scheduler a(store_, &unsealed_, clock_, Fast("a"));
  Scheduler b(store_, &unsealed_, clock_, Fast("b"));
  int second_on_a = 0, second_on_b = 0;
  a.Every("first", 60s, [&](JobRun&) {
    clock_.Advance(61s);  // longer than the batch's lease; this run's own lease is renewed
    EXPECT_TRUE(store_.RenewJobLease("first", "a", clock_.NowMs() + 60'000).value());
    EXPECT_EQ(b.RunDue(), 1u);  // B claims "second": its lease (taken with "first") expired
    return Status::Ok();
  });
  a.Every("second", 61s, [&](JobRun&) {
    ++second_on_a;
    return Status::Ok();
  });
  b.Every("first", 60s, [](JobRun&) { return Status::Ok(); });
  b.Every("second", 61s, [&](JobRun&) {
    ++second_on_b;
    return Status::Ok();
  });
  ASSERT_TRUE(a.EnsureJobs().ok());
  ASSERT_TRUE(b.EnsureJobs().ok());
  clock_.Advance(61s);
  EXPECT_EQ(a.RunDue(), 2u);  // claims both, "first" first
  EXPECT_EQ(second_on_b, 1);
  EXPECT_EQ(second_on_a, 0) << "a due run of \"second\" ran on both nodes";
  auto row = store_.Get("second");
  EXPECT_EQ(row.owner, "");  // B's completion stands
  EXPECT_EQ(row.job.due_ms, clock_.NowMs() + 61'000);
}

// A job that waited its turn but whose lease nobody took is still this node's: it runs, with
// its lease renewed for a whole term from the start of its run.
TEST_F(SchedulerTest, AJobThatWaitedItsTurnRunsWithAFreshLease) {
  Scheduler a(store_, &unsealed_, clock_, Fast("a"));
  int64_t lease_at_run = 0;
  a.Every("first", 60s, [&](JobRun&) {
    clock_.Advance(61s);
    return Status::Ok();
  });
  a.Every("second", 61s, [&](JobRun&) {
    lease_at_run = store_.Get("second").lease_until;
    return Status::Ok();
  });
  ASSERT_TRUE(a.EnsureJobs().ok());
  clock_.Advance(61s);
  EXPECT_EQ(a.RunDue(), 2u);
  EXPECT_EQ(lease_at_run, clock_.NowMs() + 60'000);
  EXPECT_EQ(store_.Get("second").owner, "");  // completed
}

TEST_F(SchedulerTest, LoopRunsDueJobs) {
  Scheduler s(store_, &unsealed_, clock_, Fast("a"));  // sleeps 5..20 ms (real time)
  std::atomic<int> runs{0};
  s.Every("purge", 60s, [&](JobRun&) {
    ++runs;
    return Status::Ok();
  });
  ASSERT_TRUE(s.Start().ok());
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 0);  // not due
  clock_.Advance(60s);
  for (int i = 0; i < 1000 && runs.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(runs.load(), 1);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(runs.load(), 1);  // rescheduled a period on
  s.Stop();
}

TEST_F(SchedulerTest, ParallelJobsRunOffTheLoopAndABusyOneIsLeftForLater) {
  SchedulerOptions o = Fast("a");
  o.busy_retry = 2s;
  Scheduler s(store_, &unsealed_, clock_, o);
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<int> long_runs{0};
  std::atomic<int> purges{0};
  s.OnPrefix(
      "rotation:", std::nullopt,
      [&](JobRun& run) {
        ++long_runs;
        // Waits for the test, or for Stop() (should_stop) as a real rotation would.
        while (released.wait_for(5ms) != std::future_status::ready && !run.should_stop()) {
        }
        return Status::Ok();
      },
      /*parallel=*/1);
  s.Every("purge", 60s, [&](JobRun&) {
    ++purges;
    return Status::Ok();
  });
  ASSERT_TRUE(store_.ScheduleJob("rotation:a", 0, "", true).ok());
  ASSERT_TRUE(s.Start().ok());
  for (int i = 0; i < 1000 && long_runs.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  ASSERT_EQ(long_runs.load(), 1);

  // The running rotation does not hold up the periodic job.
  clock_.Advance(60s);
  for (int i = 0; i < 1000 && purges.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(purges.load(), 1);

  // Its one slot is busy: a second rotation is claimed but not run, its lease cut short.
  ASSERT_TRUE(store_.ScheduleJob("rotation:b", 0, "", true).ok());
  for (int i = 0; i < 1000 && store_.Get("rotation:b").owner.empty(); ++i) {
    std::this_thread::sleep_for(5ms);
  }
  std::this_thread::sleep_for(30ms);
  EXPECT_EQ(long_runs.load(), 1);
  EXPECT_EQ(store_.Get("rotation:b").lease_until, clock_.NowMs() + 2000);

  // Once the slot is free and the short lease expired, it runs.
  release.set_value();
  for (int i = 0; i < 1000 && store_.Has("rotation:a"); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_FALSE(store_.Has("rotation:a"));  // one-shot: completed and deleted
  clock_.Advance(2s);
  for (int i = 0; i < 1000 && store_.Has("rotation:b"); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(long_runs.load(), 2);
  s.Stop();
}

// RotateSecret landing as the previous rotation ends: the job is rewritten (due now, a new
// payload) while its run still holds the lease. The run's own completion (here: one-shot,
// delete) must not drop it, and the loop must claim it when the run ends, not after its sleep.
TEST_F(SchedulerTest, AJobRescheduledDuringItsParallelRunRunsNextAtOnce) {
  SchedulerOptions o = Fast("a");
  o.min_sleep = 30s;  // only a wake-up can make the second run start in time
  o.max_sleep = 30s;
  Scheduler s(store_, &unsealed_, clock_, o);
  std::mutex mu;
  std::vector<std::string> payloads;
  s.OnPrefix(
      "rotation:", std::nullopt,
      [&](JobRun& run) {
        {
          std::lock_guard<std::mutex> l(mu);
          payloads.push_back(run.job.payload);
        }
        if (run.job.payload == "t1") {
          EXPECT_TRUE(store_.ScheduleJob("rotation:a", clock_.NowMs(), "t2", true).ok());
          s.Wake();  // as RotationRunner::Start does; the job is still leased to this run
          std::this_thread::sleep_for(50ms);  // the loop's pass finds nothing claimable
        }
        return Status::Ok();
      },
      /*parallel=*/2);
  ASSERT_TRUE(store_.ScheduleJob("rotation:a", 0, "t1", true).ok());
  ASSERT_TRUE(s.Start().ok());
  for (int i = 0; i < 400 && store_.Has("rotation:a"); ++i) std::this_thread::sleep_for(5ms);
  s.Stop();
  EXPECT_FALSE(store_.Has("rotation:a"));  // the second run completed (one-shot)
  std::lock_guard<std::mutex> l(mu);
  EXPECT_EQ(payloads, (std::vector<std::string>{"t1", "t2"}));
}

TEST_F(SchedulerTest, StopWaitsForParallelRuns) {
  Scheduler s(store_, &unsealed_, clock_, Fast("a"));
  std::atomic<bool> started{false};
  std::atomic<bool> returned{false};
  s.OnPrefix(
      "rotation:", std::nullopt,
      [&](JobRun& run) {
        started = true;
        while (!run.should_stop()) std::this_thread::sleep_for(1ms);
        returned = true;
        return Status::Ok();
      },
      /*parallel=*/2);
  ASSERT_TRUE(store_.ScheduleJob("rotation:a", 0, "", true).ok());
  ASSERT_TRUE(s.Start().ok());
  for (int i = 0; i < 1000 && !started.load(); ++i) std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(started.load());
  s.Stop();
  EXPECT_TRUE(returned.load());
}

TEST_F(SchedulerTest, StopWakesASleepingLoopAtOnce) {
  SchedulerOptions o = Fast("a");
  o.min_sleep = 30s;  // a stop must not wait for this
  o.max_sleep = 30s;
  Scheduler s(store_, &unsealed_, clock_, o);
  s.Every("purge", 60s, [](JobRun&) { return Status::Ok(); });
  ASSERT_TRUE(s.Start().ok());
  std::this_thread::sleep_for(50ms);  // the loop is asleep
  auto start = std::chrono::steady_clock::now();
  s.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  s.Stop();  // idempotent
}

TEST_F(SchedulerTest, TwoSchedulersOnOneStoreRunEachDueTimeOnce) {
  std::atomic<int> runs{0};
  auto handler = [&](JobRun&) {
    ++runs;
    std::this_thread::sleep_for(2ms);
    return Status::Ok();
  };
  Scheduler a(store_, &unsealed_, clock_, Fast("a"));
  Scheduler b(store_, &unsealed_, clock_, Fast("b"));
  a.Every("purge", 60s, handler);
  b.Every("purge", 60s, handler);
  ASSERT_TRUE(a.EnsureJobs().ok());
  ASSERT_TRUE(b.EnsureJobs().ok());
  for (int round = 1; round <= 20; ++round) {
    clock_.Advance(61s);
    auto fa = std::async(std::launch::async, [&] { return a.RunDue(); });
    auto fb = std::async(std::launch::async, [&] { return b.RunDue(); });
    EXPECT_EQ(fa.get() + fb.get(), 1u) << "round " << round;
    EXPECT_EQ(runs.load(), round);
  }
}

}  // namespace
}  // namespace arcana::jobs
