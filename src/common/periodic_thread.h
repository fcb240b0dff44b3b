// Runs a function every `period` on a thread of its own, from Start() until Stop(): the loop
// behind the write-behind logs (IAM access-key and KMS key last uses) that each node flushes
// to the store every few seconds.
// Stop() wakes the thread at once (it does not wait for the period to end), joins it, and is
// idempotent; Start() after Stop() does nothing. `tick` never runs after Stop() returns.
// Thread-safety: Start and Stop may be called from any thread, concurrently.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace arcana {

class PeriodicThread {
 public:
  PeriodicThread(std::chrono::milliseconds period, std::function<void()> tick)
      : period_(period), tick_(std::move(tick)) {}
  ~PeriodicThread() { Stop(); }
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  void Start() {
    std::lock_guard<std::mutex> l(mu_);
    if (thread_.joinable() || stopping_) return;
    thread_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      while (!stopping_) {
        wake_.wait_for(lock, period_, [this] { return stopping_; });
        if (stopping_) break;
        lock.unlock();
        tick_();
        lock.lock();
      }
    });
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    std::lock_guard<std::mutex> one_joiner(join_mu_);
    if (thread_.joinable()) thread_.join();
  }

 private:
  const std::chrono::milliseconds period_;
  const std::function<void()> tick_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::mutex join_mu_;  // two concurrent Stops must not both join
  std::thread thread_;
};

}  // namespace arcana
