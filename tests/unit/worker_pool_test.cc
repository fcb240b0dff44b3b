// The worker pool's bounds: at most `threads` tasks run and `max_queued` wait, one more is
// refused at once; a throwing task costs nothing but itself; Shutdown() drains the queue and
// refuses new work; CancelQueued() cancels what has not started; JoinFor() gives up on a
// stuck task instead of hanging.
#include "net/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>

namespace arcana::net {
namespace {

using namespace std::chrono_literals;

// A latch the test opens: tasks block on it, so the pool's state is known exactly.
class Gate {
 public:
  void Wait() { opened_.wait(); }
  void Open() { promise_.set_value(); }

 private:
  std::promise<void> promise_;
  std::shared_future<void> opened_ = promise_.get_future().share();
};

// Polls `cond` for up to 5 s.
template <class Cond>
bool Eventually(Cond cond) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerPoolTest, RefusesBeyondRunningPlusQueued) {
  Gate gate;  // declared first: the pool (its threads) ends before it
  WorkerPool pool(2, 3);
  std::atomic<int> ran{0};
  auto blocked = [&] {
    gate.Wait();
    ++ran;
  };
  ASSERT_TRUE(pool.TrySubmit(blocked));
  ASSERT_TRUE(pool.TrySubmit(blocked));
  ASSERT_TRUE(Eventually([&] { return pool.busy() == 2; }));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(pool.TrySubmit(blocked)) << i;
  EXPECT_EQ(pool.queued(), 3u);
  EXPECT_FALSE(pool.TrySubmit(blocked));  // 2 running + 3 queued: full
  EXPECT_FALSE(pool.TrySubmit(blocked));
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return ran.load() == 5; }));
  EXPECT_TRUE(Eventually([&] { return pool.busy() == 0 && pool.queued() == 0; }));
  // Room again.
  std::promise<void> done;
  EXPECT_TRUE(pool.TrySubmit([&] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
}

TEST(WorkerPoolTest, ZeroQueueTakesOnlyWhatIdleThreadsCanRun) {
  Gate gate;  // declared first: the pool (its threads) ends before it
  WorkerPool pool(2, 0);
  // Both threads are idle: two tasks are taken, a third waits for nobody and is refused.
  std::this_thread::sleep_for(50ms);  // let both threads reach their wait
  EXPECT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  EXPECT_TRUE(pool.TrySubmit([&] { gate.Wait(); }));
  EXPECT_FALSE(pool.TrySubmit([] {}));
  gate.Open();
}

TEST(WorkerPoolTest, ThrowingTaskDoesNotKillItsThread) {
  WorkerPool pool(1, 4);
  EXPECT_TRUE(pool.TrySubmit([] { throw std::runtime_error("task bug"); }));
  EXPECT_TRUE(pool.TrySubmit([] { throw 7; }));
  std::promise<void> done;
  EXPECT_TRUE(pool.TrySubmit([&] { done.set_value(); }));
  EXPECT_EQ(done.get_future().wait_for(5s), std::future_status::ready);
}

TEST(WorkerPoolTest, ShutdownDrainsTheQueueAndRefusesNewTasks) {
  Gate gate;  // declared first: the pool (its threads) ends before it
  WorkerPool pool(1, 10);
  std::atomic<int> ran{0};
  ASSERT_TRUE(pool.TrySubmit([&] {
    gate.Wait();
    ++ran;
  }));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));
  pool.Shutdown();
  EXPECT_FALSE(pool.TrySubmit([&] { ran += 100; }));
  gate.Open();
  EXPECT_TRUE(pool.JoinFor(5000ms));
  EXPECT_EQ(ran.load(), 6);  // every queued task ran, the refused one never did
}

TEST(WorkerPoolTest, CancelQueuedCallsTheCancelOfWhatHasNotStarted) {
  Gate gate;  // declared first: the pool (its threads) ends before it
  WorkerPool pool(1, 10);
  std::atomic<int> ran{0}, cancelled{0};
  ASSERT_TRUE(pool.TrySubmit([&] { gate.Wait(); }, [&] { ++cancelled; }));
  ASSERT_TRUE(Eventually([&] { return pool.busy() == 1; }));
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }, [&] { ++cancelled; }));
  }
  ASSERT_TRUE(pool.TrySubmit([&] { ++ran; }));  // no cancel callback: simply dropped
  EXPECT_EQ(pool.CancelQueued(), 4u);
  EXPECT_EQ(cancelled.load(), 3);  // the running task is not cancelled
  EXPECT_EQ(pool.queued(), 0u);
  gate.Open();
  pool.Shutdown();
  EXPECT_TRUE(pool.JoinFor(5000ms));
  EXPECT_EQ(ran.load(), 0);
}

TEST(WorkerPoolTest, JoinForGivesUpOnAStuckTask) {
  // Never destroyed, on purpose: the stuck thread is detached and still uses them (static
  // pointers, so a leak checker sees them reachable).
  static auto* pool = new WorkerPool(1, 1);
  static auto* gate = new Gate;
  ASSERT_TRUE(pool->TrySubmit([] { gate->Wait(); }));
  ASSERT_TRUE(Eventually([&] { return pool->busy() == 1; }));
  pool->Shutdown();
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(pool->JoinFor(200ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  gate->Open();  // let the detached thread finish; the pool stays allocated for it
}

TEST(WorkerPoolTest, DefaultWorkerCountIsAtLeastFour) {
  EXPECT_EQ(EffectiveWorkerCount(3), 3);
  EXPECT_GE(EffectiveWorkerCount(0), 4);
  EXPECT_EQ(EffectiveWorkerCount(0) % 4, 0);
}

}  // namespace
}  // namespace arcana::net
