#include "net/worker_pool.h"

#include <algorithm>

#include "net/exception_barrier.h"

namespace arcana::net {

int EffectiveWorkerCount(int configured) {
  if (configured > 0) return configured;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(32, 8 * cores);
}

WorkerPool::WorkerPool(int threads, size_t max_queued) : max_queued_(max_queued) {
  const int n = std::max(1, threads);
  running_ = n;
  threads_.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkerPool::~WorkerPool() {
  Shutdown();
  JoinFor(std::chrono::milliseconds::max());
}

bool WorkerPool::TrySubmit(Task task, Task cancel) {
  {
    std::lock_guard<std::mutex> l(mu_);
    // Idle threads take a task each at once; beyond them, max_queued_ may wait.
    if (shutdown_ || queue_.size() >= max_queued_ + static_cast<size_t>(idle_)) return false;
    queue_.push_back(Entry{std::move(task), std::move(cancel)});
  }
  work_cv_.notify_one();
  return true;
}

void WorkerPool::Shutdown() {
  {
    std::lock_guard<std::mutex> l(mu_);
    shutdown_ = true;
  }
  work_cv_.notify_all();
}

size_t WorkerPool::CancelQueued() {
  std::deque<Entry> dropped;
  {
    std::lock_guard<std::mutex> l(mu_);
    dropped.swap(queue_);
  }
  for (auto& e : dropped) {
    e.task = nullptr;  // first: what both share is then released by the cancel path alone
    if (!e.cancel) continue;
    try {
      e.cancel();
    } catch (...) {
      LogCaughtException("worker task cancel", "-");
    }
  }
  return dropped.size();
}

bool WorkerPool::JoinFor(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> l(mu_);
  if (joined_) return true;
  auto done = [this] { return running_ == 0; };
  bool all_exited;
  if (timeout == std::chrono::milliseconds::max()) {
    exit_cv_.wait(l, done);
    all_exited = true;
  } else {
    all_exited = exit_cv_.wait_for(l, timeout, done);
  }
  joined_ = true;
  l.unlock();
  for (auto& t : threads_) {
    // An exited thread joins at once; a stuck one is left behind rather than waited for.
    if (all_exited) {
      t.join();
    } else {
      t.detach();
    }
  }
  return all_exited;
}

size_t WorkerPool::queued() const {
  std::lock_guard<std::mutex> l(mu_);
  return queue_.size();
}

int WorkerPool::busy() const {
  std::lock_guard<std::mutex> l(mu_);
  return busy_;
}

void WorkerPool::Loop() {
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    ++idle_;
    work_cv_.wait(l, [this] { return shutdown_ || !queue_.empty(); });
    --idle_;
    if (queue_.empty()) break;  // shut down and drained
    Task task = std::move(queue_.front().task);
    queue_.pop_front();
    ++busy_;
    l.unlock();
    try {
      task();
    } catch (...) {
      LogCaughtException("worker task", "-");
    }
    task = nullptr;  // its captures die outside the lock, before the thread waits again
    l.lock();
    --busy_;
  }
  --running_;
  exit_cv_.notify_all();
}

}  // namespace arcana::net
