// A fixed set of threads running tasks from one bounded queue: where the HTTP server runs its
// handlers, so that a handler blocked on the store (a PostgreSQL round trip, a busy SQLite
// file) never blocks an I/O thread.
// Bounded by construction: at most `threads` tasks run and at most `max_queued` wait; a task
// offered beyond that is refused at once (TrySubmit returns false) and the caller answers for
// it (the server: ThrottlingException). Nothing ever queues without bound.
// Shutdown: Shutdown() refuses new tasks, and the threads run what is queued, then exit
// (drain). When draining takes too long, CancelQueued() drops what has not started and calls
// each task's cancel callback instead (the server: answers it). JoinFor() waits for the
// threads up to a deadline; threads still busy then are detached, so a stuck task cannot
// hang the process (the caller must then not destroy what those tasks use).
// A task that throws is logged (net/exception_barrier.h) and its thread runs on.
// Thread-safety: every member may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace arcana::net {

// The worker count `--workers 0` stands for: max(32, 8 x cores). Handlers mostly wait on the
// store, not the CPU, so several per core keep the cores busy; and a write waits for its
// group commit, so the writes in flight (and so each commit's batch) are bounded by the
// workers: with 32 clients writing, 32 workers gave 40% more writes/s than 8 on 2 cores.
int EffectiveWorkerCount(int configured);

class WorkerPool {
 public:
  using Task = std::function<void()>;

  // threads >= 1 (less is taken as 1). max_queued: how many tasks may wait while every
  // thread is busy (0: a task is taken only if a thread is idle).
  WorkerPool(int threads, size_t max_queued);
  ~WorkerPool();  // Shutdown() and JoinFor(forever)
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues `task` unless the queue is full or the pool is shutting down: then false, and
  // both are destroyed uncalled (the caller answers for the task). `cancel`, if set, is
  // called instead of `task` should CancelQueued() drop it.
  bool TrySubmit(Task task, Task cancel = nullptr);

  // No new tasks; the queued ones still run. Idempotent.
  void Shutdown();
  // Drops every queued task that has not started and calls its cancel callback on the
  // calling thread. Returns how many were dropped.
  size_t CancelQueued();
  // Waits until every thread has exited (queue drained) or `timeout` passed. True when all
  // threads were joined; false when some were still running: they are detached.
  bool JoinFor(std::chrono::milliseconds timeout);

  int threads() const { return static_cast<int>(threads_.size()); }
  size_t max_queued() const { return max_queued_; }
  size_t queued() const;  // tasks waiting for a thread
  int busy() const;       // tasks running

 private:
  void Loop();

  const size_t max_queued_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // a task was queued, or shutdown
  std::condition_variable exit_cv_;  // a thread exited
  struct Entry {
    Task task;
    Task cancel;
  };
  std::deque<Entry> queue_;
  int busy_ = 0;
  int idle_ = 0;     // threads waiting for a task
  int running_ = 0;  // threads not yet exited
  bool shutdown_ = false;
  bool joined_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace arcana::net
