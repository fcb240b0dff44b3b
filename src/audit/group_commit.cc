#include "audit/group_commit.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace arcana::audit {
namespace {
constexpr size_t kMaxKeptFailures = 64;
}

GroupCommitWriter::GroupCommitWriter(size_t max_pending, std::chrono::milliseconds tick,
                                     bool pipelined)
    : max_pending_(max_pending), tick_(tick), pipelined_(pipelined) {}

GroupCommitWriter::~GroupCommitWriter() {
  // The subclass must have stopped us: Run would call its (destroyed) overrides.
  if (writer_.joinable() || second_writer_.joinable()) {
    spdlog::critical("audit writer destroyed while running");
    std::terminate();
  }
}

void GroupCommitWriter::StartWriter() {
  if (!pipelined_) {
    writer_ = std::thread([this] { Run(); });
    return;
  }
  writer_ = std::thread([this] { RunPipelined(); });
  second_writer_ = std::thread([this] { RunPipelined(); });
}

void GroupCommitWriter::StopWriter() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
  if (second_writer_.joinable()) second_writer_.join();
  if (pipelined_) Finish();  // both writers are gone: nothing runs beside it
}

Status GroupCommitWriter::CommitBatch(std::vector<std::string>& batch) {
  Status st = StageBatch(batch);
  if (st.ok()) st = SyncStaged();
  if (st.ok()) {
    BatchDurable();
  } else {
    RollBack();
  }
  if (NeedsMaintenance()) Maintain();
  return st;
}

Status GroupCommitWriter::StageBatch(std::vector<std::string>&) {
  return Status(ErrorCode::kInternalServiceError, "audit sink commits nothing");
}

Status GroupCommitWriter::EnqueueLocked(std::string record, Done done, bool* wake) {
  if (stop_) return Status(ErrorCode::kServiceUnavailable, "The audit trail is closed.");
  if (pending_.size() >= max_pending_) {
    ++dropped_;
    return Status(ErrorCode::kServiceUnavailable, "The audit trail is overloaded.");
  }
  pending_.push_back(std::move(record));
  pending_done_.push_back(std::move(done));
  ++next_ticket_;
  // The writer waits only while nothing is pending (after a batch it looks again before
  // waiting): wake it on that transition alone, not once per record.
  *wake = pending_.size() == 1;
  return Status::Ok();
}

void GroupCommitWriter::SubmitAsync(std::string record, Done done) {
  Status queued;
  bool wake = false;
  {
    std::lock_guard lk(mu_);
    queued = EnqueueLocked(std::move(record), done, &wake);
  }
  // After unlocking: a writer woken while the lock is held would only block on it again.
  if (wake) work_cv_.notify_one();
  if (!queued.ok()) done(queued);  // outside the lock: the callback may be slow
}

Status GroupCommitWriter::Submit(std::string record, bool wait) {
  std::unique_lock lk(mu_);
  bool wake = false;
  ARCANA_RETURN_IF_ERROR(EnqueueLocked(std::move(record), nullptr, &wake));
  const uint64_t ticket = next_ticket_;
  if (wake) {
    lk.unlock();
    work_cv_.notify_one();
    lk.lock();
  }
  if (!wait) return Status::Ok();
  ++waiters_;
  done_cv_.wait(lk, [&] { return committed_upto_ >= ticket; });
  --waiters_;
  for (const auto& f : failures_) {
    if (ticket >= f.first && ticket <= f.last) return f.status;
  }
  return Status::Ok();
}

bool GroupCommitWriter::HealthyNow(std::chrono::milliseconds backoff) const {
  std::lock_guard lk(mu_);
  return !failed_once_ || std::chrono::steady_clock::now() - last_failure_ >= backoff;
}

uint64_t GroupCommitWriter::dropped() const {
  std::lock_guard lk(mu_);
  return dropped_;
}

uint64_t GroupCommitWriter::batches() const {
  std::lock_guard lk(mu_);
  return batches_;
}

void GroupCommitWriter::Finished(std::vector<Done>& dones, uint64_t first, uint64_t last,
                                 const Status& st, std::unique_lock<std::mutex>& lk) {
  if (!st.ok()) {
    auto now = std::chrono::steady_clock::now();
    failures_.push_back(Failure{first, last, st, now});
    // Waiters wake within milliseconds; an entry is dropped only long after that.
    while (failures_.size() > kMaxKeptFailures &&
           now - failures_.front().when > std::chrono::seconds(10)) {
      failures_.pop_front();
    }
    last_failure_ = now;
    failed_once_ = true;
  }
  // Pipelined batches finish in ticket order too (they finish in staging order, and each
  // took the oldest pending records), so every ticket up to `last` is finished.
  committed_upto_ = last;
  ++batches_;
  if (waiters_ > 0) done_cv_.notify_all();  // SubmitAsync callers are told below
  lk.unlock();
  for (auto& done : dones) {
    if (!done) continue;
    try {
      done(st);
    } catch (...) {
      spdlog::error("audit: a completion callback threw");
    }
  }
  lk.lock();
}

void GroupCommitWriter::Run() {
  std::unique_lock lk(mu_);
  for (;;) {
    work_cv_.wait_for(lk, tick_, [&] { return stop_ || !pending_.empty(); });
    if (!pending_.empty()) {
      std::vector<std::string> batch;
      std::vector<Done> dones;
      batch.swap(pending_);
      dones.swap(pending_done_);
      uint64_t last = next_ticket_;
      uint64_t first = last - batch.size() + 1;
      lk.unlock();
      Status st = CommitBatch(batch);
      lk.lock();
      Finished(dones, first, last, st, lk);
      // Under steady load the queue is never empty when the wait ends: Tick still runs
      // every tick_ (periodic digests).
      if (std::chrono::steady_clock::now() - last_tick_ < tick_) continue;
    }
    if (stop_ && pending_.empty()) break;
    last_tick_ = std::chrono::steady_clock::now();
    lk.unlock();
    Tick();
    lk.lock();
  }
  lk.unlock();
  Finish();
}

void GroupCommitWriter::RunPipelined() {
  using Clock = std::chrono::steady_clock;
  std::unique_lock lk(mu_);
  for (;;) {
    const bool tick_due = Clock::now() - last_tick_ >= tick_;
    // Exclusive work first, in this order: undo refused batches before anything new is
    // staged on top of them; maintenance and ticks once nothing is in flight.
    if (!exclusive_ && poisoned_) {
      exclusive_ = true;
      poisoned_ = false;
      ++epoch_;
      lk.unlock();
      RollBack();
      lk.lock();
      exclusive_ = false;
      work_cv_.notify_all();
      continue;
    }
    if (!exclusive_ && in_flight_ == 0 && (maintenance_due_ || tick_due)) {
      exclusive_ = true;
      const bool maintain = maintenance_due_;
      maintenance_due_ = false;
      if (tick_due) last_tick_ = Clock::now();
      lk.unlock();
      if (maintain) Maintain();
      if (tick_due) Tick();
      lk.lock();
      exclusive_ = false;
      work_cv_.notify_all();
      continue;
    }
    const bool may_stage = !exclusive_ && !maintenance_due_ && !tick_due;
    if (may_stage && !pending_.empty()) {
      exclusive_ = true;
      std::vector<std::string> batch;
      std::vector<Done> dones;
      batch.swap(pending_);
      dones.swap(pending_done_);
      const uint64_t last = next_ticket_;
      const uint64_t first = last - batch.size() + 1;
      const uint64_t order = ++next_order_;
      const uint64_t epoch = epoch_;
      ++in_flight_;
      lk.unlock();
      Status st = StageBatch(batch);
      const bool maintain = st.ok() && NeedsMaintenance();
      lk.lock();
      exclusive_ = false;
      if (maintain) maintenance_due_ = true;
      work_cv_.notify_all();  // the other writer may stage what arrived meanwhile
      lk.unlock();
      if (st.ok()) st = SyncStaged();
      lk.lock();
      order_cv_.wait(lk, [&] { return finished_order_ + 1 == order; });
      if (epoch != epoch_ || poisoned_) {
        st = poison_;  // an earlier batch failed: this one chained on its records
      } else if (!st.ok()) {
        poisoned_ = true;
        poison_ = st;
      } else {
        BatchDurable();
      }
      finished_order_ = order;
      --in_flight_;
      order_cv_.notify_all();
      work_cv_.notify_all();
      Finished(dones, first, last, st, lk);
      continue;
    }
    if (stop_ && pending_.empty() && in_flight_ == 0 && !exclusive_ && !poisoned_) break;
    // Nothing this thread may do now. Exclusive work that is due waits for the batches in
    // flight (their end notifies); otherwise wait for records, the other writer or the tick.
    if (maintenance_due_ || tick_due) {
      work_cv_.wait(lk);
    } else {
      work_cv_.wait_until(lk, last_tick_ + tick_);
    }
  }
  lk.unlock();
  work_cv_.notify_all();  // the other writer sees stop_ too
}

}  // namespace arcana::audit
