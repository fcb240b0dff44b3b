#include "jobs/scheduler.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace arcana::jobs {

std::string NewOwnerId() {
  char host[256] = {0};
  if (::gethostname(host, sizeof(host) - 1) != 0) std::snprintf(host, sizeof(host), "unknown");
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" +
         crypto::HexEncode(crypto::RandomBytes(4));
}

Scheduler::Scheduler(storage::JobStore& jobs, const crypto::RootKey* root, Clock& clock,
                     SchedulerOptions options)
    : jobs_(jobs), root_(root), clock_(clock), opts_(std::move(options)) {
  if (opts_.owner.empty()) opts_.owner = NewOwnerId();
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::Every(std::string name, std::chrono::milliseconds period, JobHandler handler) {
  registrations_.push_back(Registration{std::move(name), false, period, std::move(handler)});
}

void Scheduler::OnPrefix(std::string prefix, std::optional<std::chrono::milliseconds> period,
                         JobHandler handler, size_t parallel) {
  registrations_.push_back(
      Registration{std::move(prefix), true, period, std::move(handler), parallel});
}

Status Scheduler::EnsureJobs() {
  const int64_t now = clock_.NowMs();
  for (const auto& r : registrations_) {
    if (r.is_prefix) continue;
    // Every node does this at start; the row the first one created keeps its due time.
    Status st = jobs_.ScheduleJob(r.name, now + r.period->count(), "", /*replace_due=*/false);
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

Status Scheduler::Start() {
  ARCANA_RETURN_IF_ERROR(EnsureJobs());
  loop_ = std::thread([this] { Loop(); });
  spdlog::info("job scheduler started (owner {}, {} job kinds)", opts_.owner,
               registrations_.size());
  return Status::Ok();
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stop_ = true;
  }
  stopping_.store(true);
  cv_.notify_all();
  if (loop_.joinable()) loop_.join();
  JoinFinishedRunners(/*all=*/true);  // their should_stop() now answers true
}

void Scheduler::JoinFinishedRunners(bool all) {
  std::vector<Runner> finished;
  {
    std::lock_guard<std::mutex> l(runs_mu_);
    auto keep = std::partition(runners_.begin(), runners_.end(),
                               [all](const Runner& r) { return !all && !r.done->load(); });
    std::move(keep, runners_.end(), std::back_inserter(finished));
    runners_.erase(keep, runners_.end());
  }
  for (auto& r : finished) r.thread.join();  // outside the lock: a run may still be ending
}

bool Scheduler::StartParallel(Registration& reg, const storage::Job& job) {
  std::lock_guard<std::mutex> l(runs_mu_);
  if (reg.running >= reg.parallel) return false;
  ++reg.running;
  auto done = std::make_shared<std::atomic<bool>>(false);
  runners_.push_back(Runner{std::thread([this, &reg, job, done] {
                              try {
                                RunClaimed(job, &reg);
                              } catch (...) {
                                spdlog::error("job {}: unexpected exception", job.name);
                              }
                              {
                                std::lock_guard<std::mutex> rl(runs_mu_);
                                --reg.running;
                              }
                              done->store(true);
                              // A job made due while this run held its lease (RotateSecret
                              // during a rotation), or one that found every slot busy, is
                              // claimable now: the loop need not sleep until its next pass.
                              Wake();
                            }),
                            done});
  return true;
}

Scheduler::Registration* Scheduler::Find(const std::string& job_name) {
  for (auto& r : registrations_) {
    if (r.is_prefix ? job_name.rfind(r.name, 0) == 0 : job_name == r.name) return &r;
  }
  return nullptr;
}

bool Scheduler::Sealed() const { return root_ != nullptr && root_->sealed(); }

size_t Scheduler::RunDue() { return RunDueOn(/*parallel_allowed=*/false); }

size_t Scheduler::RunDueOn(bool parallel_allowed) {
  if (Sealed()) return 0;  // nothing could run: leave the jobs to be claimed after unseal
  const int64_t now = clock_.NowMs();
  auto claimed = jobs_.ClaimDueJobs(opts_.owner, now, opts_.lease.count(), opts_.claim_batch);
  if (!claimed.ok()) {
    spdlog::warn("job scheduler: cannot claim due jobs: {}", claimed.status().message());
    return 0;
  }
  for (const auto& job : *claimed) {
    if (stopping_.load()) {
      // Claimed but not run: free the lease now rather than at its expiry.
      (void)jobs_.RenewJobLease(job.name, opts_.owner, clock_.NowMs());
      continue;
    }
    Registration* reg = Find(job.name);
    if (parallel_allowed && reg != nullptr && reg->parallel > 0) {
      if (!StartParallel(*reg, job)) {
        // Every slot busy: claimable again soon, here or on a less busy node.
        (void)jobs_.RenewJobLease(job.name, opts_.owner,
                                  clock_.NowMs() + opts_.busy_retry.count());
      }
      continue;
    }
    RunClaimed(job, reg);
  }
  return claimed->size();
}

void Scheduler::RunClaimed(const storage::Job& job, Registration* reg) {
  if (reg == nullptr) {
    spdlog::warn("job scheduler: no handler for job {} on this node: leaving it to its lease",
                 job.name);
    return;
  }
  const int64_t started = clock_.NowMs();
  std::optional<crypto::RootKey::Hold> hold;
  if (root_ != nullptr) {
    auto h = root_->TryHold();
    if (!h) {
      // Sealed since the claim: not run, not completed; claimable again soon.
      (void)jobs_.RenewJobLease(job.name, opts_.owner, started + opts_.sealed_retry.count());
      return;
    }
    hold.emplace(std::move(*h));
  }
  if (!RetakeLease(job)) return;
  std::atomic<bool> lost{false};
  std::atomic<bool> sealed_in_run{false};  // a refresh found the server sealed
  JobRun run{job,
             started,
             std::nullopt,
             [this, &lost, &sealed_in_run] {
               return stopping_.load() || lost.load() || sealed_in_run.load();
             },
             std::nullopt,
             nullptr,
             nullptr};
  if (root_ != nullptr) {
    run.release_root_hold = [&hold] { hold.reset(); };
    run.refresh_root_hold = [this, &hold, &sealed_in_run] {
      // The old hold goes first: a root rotation waiting for its generation goes on.
      hold.reset();
      auto h = root_->TryHold();
      if (!h) {
        sealed_in_run.store(true);
        return false;
      }
      hold.emplace(std::move(*h));
      return true;
    };
  }
  Status st = RunWithLease(*reg, run, lost);
  hold.reset();
  if (sealed_in_run.load() && !lost.load()) {
    // Sealed during the run: its work may be cut short (handlers are idempotent), so it is
    // not completed; claimable again soon, after the unseal.
    spdlog::info("job {}: the server was sealed during the run: not completed, retried after "
                 "the unseal", job.name);
    (void)jobs_.RenewJobLease(job.name, opts_.owner,
                              clock_.NowMs() + opts_.sealed_retry.count());
    return;
  }
  if (lost.load()) {
    spdlog::warn("job {}: lease lost during the run: not completed (its new holder decides)",
                 job.name);
    return;
  }
  const int64_t ended = clock_.NowMs();
  std::optional<int64_t> next;
  std::optional<std::string> payload;
  if (!st.ok()) {
    spdlog::warn("job {} failed (attempt {}): {}", job.name, job.attempts, st.message());
    next = ended + (reg->period ? *reg->period : opts_.failure_retry).count();
  } else if (run.reschedule_at_ms) {
    next = run.reschedule_at_ms;
    payload = std::move(run.reschedule_payload);
  } else if (reg->period) {
    next = ended + reg->period->count();
  }
  Status done = jobs_.CompleteJob(job, opts_.owner, next, std::move(payload));
  if (done.ok()) {
    spdlog::debug("job {} ran in {} ms ({}); next due {}", job.name, ended - started,
                  st.ok() ? "ok" : "failed", next ? std::to_string(*next) : "never");
  } else if (done.code() == ErrorCode::kWriteConflict) {
    spdlog::warn("job {}: lease lost (or job cancelled) before completion: not completed",
                 job.name);
  } else if (!done.ok()) {
    // The lease expires and the job runs again: handlers are idempotent.
    spdlog::warn("job {}: cannot complete: {}", job.name, done.message());
  }
}

bool Scheduler::RetakeLease(const storage::Job& job) {
  // A batch is claimed under one lease, and a job of it may have waited behind the runs
  // before it (on the loop thread) for longer than that lease: another node may have claimed
  // and run it meanwhile. Only a lease still ours, renewed for a whole term, lets it run.
  auto held = jobs_.RenewJobLease(job.name, opts_.owner, clock_.NowMs() + opts_.lease.count());
  if (!held.ok()) {
    // Unknown whether it is still ours: leave it to its lease (it runs after the expiry).
    spdlog::warn("job {}: cannot renew its lease before the run: {}", job.name,
                 held.status().message());
    return false;
  }
  if (!*held) {
    spdlog::info("job {}: its lease expired while it waited its turn and another node took "
                 "it: not run here", job.name);
    return false;
  }
  return true;
}

std::chrono::milliseconds Scheduler::SleepAfterPass() const {
  if (Sealed()) return std::clamp(opts_.sealed_retry, opts_.min_sleep, opts_.max_sleep);
  auto next = jobs_.NextDueMs();
  if (!next.ok() || !next->has_value()) return opts_.max_sleep;
  const std::chrono::milliseconds until(**next - clock_.NowMs());
  return std::clamp(until, opts_.min_sleep, opts_.max_sleep);
}

void Scheduler::Loop() {
  for (;;) {
    size_t claimed = 0;
    try {
      claimed = RunDueOn(/*parallel_allowed=*/true);
      JoinFinishedRunners(/*all=*/false);
    } catch (...) {
      spdlog::error("job scheduler: unexpected exception in a pass");
    }
    // A full batch: more may be due at once.
    std::chrono::milliseconds wait =
        claimed >= opts_.claim_batch ? std::chrono::milliseconds(0) : SleepAfterPass();
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait_for(l, wait, [this] { return stop_ || wake_; });
    if (stop_) return;
    wake_ = false;
  }
}

void Scheduler::Wake() {
  {
    std::lock_guard<std::mutex> l(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

Status Scheduler::RunWithLease(const Registration& reg, JobRun& run, std::atomic<bool>& lost) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  const std::string& name = run.job.name;
  std::thread renewer([&] {
    std::unique_lock<std::mutex> l(mu);
    while (!cv.wait_for(l, opts_.renew_every, [&] { return done; })) {
      l.unlock();
      auto renewed = jobs_.RenewJobLease(name, opts_.owner, clock_.NowMs() + opts_.lease.count());
      if (renewed.ok() && !*renewed) {
        lost.store(true);
        spdlog::warn("job {}: lease lost (renewal refused)", name);
        return;
      }
      if (!renewed.ok()) {
        // Still ours until it expires; CompleteJob tells whether it was taken meanwhile.
        spdlog::warn("job {}: lease renewal failed: {}", name, renewed.status().message());
      }
      l.lock();
    }
  });
  Status st;
  storage::CommittedChanges committed;
  try {
    storage::CommittedChanges::Scope collect(&committed);
    st = reg.handler(run);
  } catch (const std::exception& e) {
    st = Status(ErrorCode::kInternalFailure, std::string("handler threw: ") + e.what());
  } catch (...) {
    st = Status(ErrorCode::kInternalFailure, "handler threw");
  }
  {
    std::lock_guard<std::mutex> l(mu);
    done = true;
  }
  cv.notify_all();
  renewer.join();
  if (unclaimed_ && !committed.empty()) unclaimed_(name, std::move(committed));
  return st;
}

}  // namespace arcana::jobs
