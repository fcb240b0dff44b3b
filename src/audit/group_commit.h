// Group commit for audit sinks: callers hand records to the sink's writer thread and
// (fail-closed) wait until the batch holding theirs is committed, or (SubmitAsync) are told
// by a callback, so one fsync / one POST covers every record that arrived while the previous
// one ran. A subclass says what committing a batch means and what the writer does when idle
// (Tick). A batch is all-or-nothing: when committing it fails, every record of it is refused.
//
// Two ways to commit:
// - Serial (the default): one writer thread runs CommitBatch for one batch after another.
// - Pipelined (`pipelined` = true, for sinks whose commit is "write, then fsync"): the commit is
//   split so that one batch's fsync overlaps the next batch's write and fsync. Two writer
//   threads take turns: one at a time stages a batch (StageBatch: writes it after the one
//   before, not yet durable), then each syncs on its own (SyncStaged: makes everything staged
//   so far durable), so two fsyncs may be in flight. On a virtual disk an fsync is mostly
//   waiting (for the device and then for a CPU to run the waiter again); with one writer,
//   every record that arrives meanwhile waits for it to end before its own write even starts.
//   Batches finish in the order they were staged. When one fails, every batch staged after it
//   fails too (its records chain on refused ones), and RollBack() undoes them before anything
//   else is staged. Maintain() (when NeedsMaintenance() says so after a stage) and Tick() run
//   with nothing staged and nothing in flight.
// Thread-safety: Submit may be called from any thread. The subclass's hooks never run
// concurrently with each other, except in pipelined mode, where SyncStaged may run on both
// writers at once and beside StageBatch, RollBack and BatchDurable, and BatchDurable beside
// StageBatch: the subclass guards what those share.
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
  // refuses). tick: how often Tick runs (when idle, and at least that often under load).
  // pipelined: see above.
  GroupCommitWriter(size_t max_pending, std::chrono::milliseconds tick, bool pipelined = false);
  virtual ~GroupCommitWriter();
  GroupCommitWriter(const GroupCommitWriter&) = delete;
  GroupCommitWriter& operator=(const GroupCommitWriter&) = delete;

  void StartWriter();  // call once the subclass is ready to commit
  // Commits what is pending, joins the writer thread(s), then runs Finish() (on the writer
  // thread when serial). Idempotent; a subclass destructor must call it (its overrides are
  // gone in ours).
  void StopWriter();

  // wait = true: returns once the record is committed, or the batch's error.
  // wait = false: queues it and returns OK (kServiceUnavailable when the queue is full).
  Status Submit(std::string record, bool wait);
  // Like Submit(wait = true), but returns at once: `done` runs exactly once with the outcome,
  // on a writer thread after the batch holding the record (or on the calling thread, at
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
  // Serial: commits batch after the previous one. Errors refuse every record of it. The
  // default runs the pipelined hooks below one after the other.
  virtual Status CommitBatch(std::vector<std::string>& batch);
  virtual void Tick() {}
  virtual void Finish() {}

  // Pipelined hooks (the default CommitBatch uses them too).
  // Writes batch after the last staged one, not yet durable. On error it leaves nothing of
  // the batch behind (the state is as before the call).
  virtual Status StageBatch(std::vector<std::string>& batch);
  // Makes every batch staged before the call durable. Errors: the batches it covered are
  // refused (and the ones staged after them).
  virtual Status SyncStaged() { return Status::Ok(); }
  // The oldest staged batch not yet reported is durable and acknowledged (called in order).
  virtual void BatchDurable() {}
  // Undoes every staged batch not reported by BatchDurable: they were refused.
  virtual void RollBack() {}
  // Whether Maintain() must run before the next batch is staged (checked after each stage).
  virtual bool NeedsMaintenance() { return false; }
  virtual void Maintain() {}

 private:
  void Run();
  void RunPipelined();
  // Records a finished batch's outcome and tells its callers (mu_ held on entry and exit;
  // released while the callbacks run).
  void Finished(std::vector<Done>& dones, uint64_t first, uint64_t last, const Status& st,
                std::unique_lock<std::mutex>& lk);
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

  // Pipelined mode (mu_):
  const bool pipelined_;
  std::thread second_writer_;
  bool exclusive_ = false;       // a thread stages, rolls back, maintains or ticks
  int in_flight_ = 0;            // batches staged and not yet finished
  uint64_t next_order_ = 0;      // order of the last batch staged
  uint64_t finished_order_ = 0;  // batches finish in staging order: the last one finished
  bool maintenance_due_ = false;
  // A batch failed: those staged after it fail too, and RollBack() runs before the next
  // stage. epoch_ counts roll-backs: a batch staged in an older epoch was undone.
  bool poisoned_ = false;
  Status poison_;
  uint64_t epoch_ = 0;
  std::condition_variable order_cv_;  // finished_order_ moved
};

}  // namespace arcana::audit
