#include "audit/group_commit.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace arcana::audit {
namespace {
constexpr size_t kMaxKeptFailures = 64;
}

GroupCommitWriter::GroupCommitWriter(size_t max_pending, std::chrono::milliseconds tick)
    : max_pending_(max_pending), tick_(tick) {}

GroupCommitWriter::~GroupCommitWriter() {
  // The subclass must have stopped us: Run would call its (destroyed) overrides.
  if (writer_.joinable()) {
    spdlog::critical("audit writer destroyed while running");
    std::terminate();
  }
}

void GroupCommitWriter::StartWriter() { writer_ = std::thread([this] { Run(); }); }

void GroupCommitWriter::StopWriter() {
  {
    std::lock_guard lk(mu_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  work_cv_.notify_all();
  if (writer_.joinable()) writer_.join();
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
      // More may have arrived meanwhile. Under steady load the queue is never empty when the
      // wait ends, so Tick (periodic digests) also runs once tick_ has passed since the last.
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

}  // namespace arcana::audit
