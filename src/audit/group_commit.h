// Group commit for audit sinks: callers hand records to one dedicated writer thread and
// (fail-closed) wait until the batch holding theirs is committed, or (SubmitAsync) are told
// by a callback, so one fsync / one POST covers every record that arrived while the previous
// one ran. A subclass says what
// committing a batch means (CommitBatch) and what the writer does when idle (Tick).
// A batch is all-or-nothing: when CommitBatch fails, every record of it is refused.
// Thread-safety: Submit may be called from any thread; CommitBatch and Tick run only on the
// writer thread, so subclasses need no locking of their own for the state they touch there.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace arcana::audit {

class GroupCommitWriter {
 public:
  // max_pending: records queued at most (fail-open Submit drops beyond it, fail-closed
  // refuses). tick: how often Tick runs, idle or busy.
  GroupCommitWriter(size_t max_pending, std::chrono::milliseconds tick);
  virtual ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  void StartWriter();  // call once the subclass is ready to commit
  // Commits what is pending, runs Finish() on the writer thread, and joins it. Idempotent;
  // a subclass destructor must call it (its overrides are gone in ours).
  void StopWriter();

  // wait = true: returns once the record is committed, or the batch's error.
  // wait = false: queues it and returns OK (kServiceUnavailable when the queue is full).
  Status Submit(std::string record, bool wait);
  // Like Submit(wait = true), but returns at once: `done` runs exactly once with the outcome,
  // on the writer thread after the batch holding the record (or on the calling thread, at
  // once, when the queue is full or closed). It must be quick and must not throw: it delays
  // the next batch. This is how a server answers after the record is durable without
  // holding a thread (and two context switches) per call while the fsync runs.
  using Done = std::function<void(Status)>;
  void SubmitAsync(std::string record, Done done);
  // false within `backoff` of the last failed batch.
  bool HealthyNow(std::chrono::milliseconds backoff) const;
  uint64_t dropped() const;
  uint64_t batches() const;  // batches committed or failed so far (tests: group commit)

 protected:
  // Commits batch in order. Errors refuse every record of it.
  virtual Status CommitBatch(std::vector<std::string>& batch) = 0;
  virtual void Tick() {}
  virtual void Finish() {}

 private:
  void Run();
  // Queues one record (mu_ held). Errors: closed, or the queue is full. *wake: the writer
  // must be woken (the caller notifies work_cv_ once it has released mu_).
  Status EnqueueLocked(std::string record, Done done, bool* wake);

  const size_t max_pending_;
  const std::chrono::milliseconds tick_;
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the writer: records pending, or stop
  std::condition_variable done_cv_;  // the callers: a batch finished
  std::vector<std::string> pending_;
  std::vector<Done> pending_done_;  // parallel to pending_: empty for Submit's records
  int waiters_ = 0;                // Submit(wait = true) callers waiting on done_cv_
  uint64_t next_ticket_ = 0;       // tickets of records handed in so far
  uint64_t committed_upto_ = 0;    // every ticket <= this is finished (ok or failed)
  // Failed batches' ticket ranges [first, last] with their error, kept until their callers
  // have seen them (a handful at most: the writer backs off after a failure).
  struct Failure {
    uint64_t first, last;
    Status status;
    std::chrono::steady_clock::time_point when;
  };
  std::deque<Failure> failures_;
  std::chrono::steady_clock::time_point last_failure_{};
  bool failed_once_ = false;
  uint64_t dropped_ = 0;
  uint64_t batches_ = 0;
  bool stop_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_tick_ = std::chrono::steady_clock::now();
  std::thread writer_;
};

}  // namespace arcana::audit
