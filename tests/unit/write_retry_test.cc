// RetryOnConflict (services/common/write_retry.h): conflicts are retried on a fresh attempt
// with bounded, jittered waits; every other outcome ends the loop unchanged; and a real
// read-modify-commit race (many threads on one versioned value) loses no update.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "services/common/write_retry.h"

namespace arcana::services {
namespace {

using std::chrono::microseconds;

Status Conflict() { return Status(ErrorCode::kWriteConflict, "revision changed"); }

// The waits a policy asked for (recorded instead of slept).
std::vector<microseconds>* g_waits = nullptr;
void RecordWait(microseconds d) { g_waits->push_back(d); }

RetryPolicy Recording(std::vector<microseconds>* waits, int attempts) {
  g_waits = waits;
  RetryPolicy p;
  p.max_attempts = attempts;
  p.base_delay = microseconds(100);
  p.max_delay = microseconds(1000);
  p.sleep = RecordWait;
  return p;
}

TEST(WriteRetry, SuccessFirstTimeRunsOnceWithoutWaiting) {
  std::vector<microseconds> waits;
  int calls = 0;
  Result<std::string> r = RetryOnConflict(
      [&]() -> Result<std::string> {
        ++calls;
        return std::string("done");
      },
      Recording(&waits, 5));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "done");
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(waits.empty());
}

TEST(WriteRetry, ConflictsAreRetriedUntilAnAttemptCommits) {
  std::vector<microseconds> waits;
  int calls = 0;
  Result<int> r = RetryOnConflict(
      [&]() -> Result<int> {
        ++calls;
        if (calls < 4) return Conflict();
        return calls;
      },
      Recording(&waits, 10));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 4);  // the answer of the attempt that committed
  ASSERT_EQ(waits.size(), 3u);
  // Full jitter under a doubling cap: 100, 200, 400 us.
  EXPECT_LE(waits[0], microseconds(100));
  EXPECT_LE(waits[1], microseconds(200));
  EXPECT_LE(waits[2], microseconds(400));
}

TEST(WriteRetry, OtherErrorsEndTheLoopUnchanged) {
  std::vector<microseconds> waits;
  int calls = 0;
  Status st = RetryOnConflict(
      [&]() -> Status {
        ++calls;
        if (calls == 1) return Conflict();
        return Status(ErrorCode::kResourceExists, "already exists");
      },
      Recording(&waits, 10));
  EXPECT_EQ(st.code(), ErrorCode::kResourceExists);
  EXPECT_EQ(st.message(), "already exists");
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(waits.size(), 1u);
}

TEST(WriteRetry, AttemptsAreBoundedAndTheLastConflictIsReturned) {
  std::vector<microseconds> waits;
  int calls = 0;
  Status st = RetryOnConflict(
      [&]() -> Status {
        ++calls;
        return Conflict();
      },
      Recording(&waits, 6));
  EXPECT_EQ(st.code(), ErrorCode::kWriteConflict);
  EXPECT_EQ(calls, 6);
  EXPECT_EQ(waits.size(), 5u);  // no wait after the last attempt
  for (auto w : waits) EXPECT_LE(w, microseconds(1000));  // never past max_delay
}

TEST(WriteRetry, BestEffortTriesOnceAndNeverWaits) {
  int calls = 0;
  RetryPolicy p = BestEffortPolicy();
  std::vector<microseconds> waits;
  g_waits = &waits;
  p.sleep = RecordWait;
  Status st = RetryOnConflict(
      [&]() -> Status {
        ++calls;
        return Conflict();
      },
      p);
  EXPECT_EQ(st.code(), ErrorCode::kWriteConflict);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(waits.empty());
}

TEST(WriteRetry, BackoffCapDoublesUpToTheMaximum) {
  RetryPolicy p;
  p.base_delay = microseconds(250);
  p.max_delay = microseconds(20000);
  EXPECT_EQ(BackoffCap(p, 1), microseconds(250));
  EXPECT_EQ(BackoffCap(p, 2), microseconds(500));
  EXPECT_EQ(BackoffCap(p, 4), microseconds(2000));
  EXPECT_EQ(BackoffCap(p, 7), microseconds(16000));
  EXPECT_EQ(BackoffCap(p, 8), microseconds(20000));
  EXPECT_EQ(BackoffCap(p, 60), microseconds(20000));  // no overflow
}

// A versioned cell with the store's commit rule: a write at the revision read succeeds and
// bumps it, any other is a conflict.
class VersionedCounter {
 public:
  std::pair<int64_t, int64_t> Read() {
    std::lock_guard<std::mutex> l(mu_);
    return {value_, revision_};
  }
  Status Commit(int64_t value, int64_t read_revision) {
    std::lock_guard<std::mutex> l(mu_);
    if (read_revision != revision_) return Conflict();
    value_ = value;
    ++revision_;
    return Status::Ok();
  }

 private:
  std::mutex mu_;
  int64_t value_ = 0;
  int64_t revision_ = 1;
};

TEST(WriteRetry, ConcurrentReadModifyCommitLosesNoUpdate) {
  VersionedCounter cell;
  constexpr int kThreads = 8, kIncrements = 200;
  std::atomic<int> failures{0};
  RetryPolicy p;
  p.max_attempts = 1000;  // contention here is far above a real workload's
  p.base_delay = microseconds(1);
  p.max_delay = microseconds(50);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        Status st = RetryOnConflict(
            [&]() -> Status {
              auto [value, revision] = cell.Read();
              return cell.Commit(value + 1, revision);
            },
            p);
        if (!st.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(cell.Read().first, kThreads * kIncrements);
}

}  // namespace
}  // namespace arcana::services
