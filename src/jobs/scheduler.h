// The scheduler of durable, leased jobs: every background task of the server (purges,
// expirations, change-log retention, later rotations) is a job row in the store
// (storage::JobStore), not a thread of its own, so with several nodes on one store each due
// run happens once, on whichever node claims it.
//
// A node's scheduler:
//  - at Start(), creates each periodic job it knows, due one period from now, unless the
//    job already exists (ScheduleJob(name, now + period, "", replace_due = false)): every node
//    registers, the first one's row wins;
//  - loops: claims due jobs (ClaimDueJobs, with this node's unique owner id and a lease),
//    runs each one's handler, and completes it (CompleteJob: next due one period after the
//    run, or deleted for a one-shot job). It then sleeps until the earliest due job
//    (NextDueMs), bounded to [min_sleep, max_sleep], and wakes at once on Stop();
//  - renews the lease right before each run (the jobs of a batch share the claim's lease,
//    and a job waiting its turn behind a long run may outlive it: one another node took
//    meanwhile is not run here) and while a run lasts (a helper thread for the run's
//    duration, every renew_every), so a long run is not taken over; a node that dies mid-run
//    loses its lease at expiry and another node runs the job again (handlers are idempotent);
//  - runs every handler under a root-key hold (crypto::RootKey::TryHold): while sealed
//    nothing is claimed, and a job claimed just as the server sealed is not completed: its
//    lease is cut to sealed_retry, so it runs soon after the unseal (here or elsewhere).
//    A root rotation (operator rotate-root) waits for the holds taken before it began, and
//    rolls back when they outlast its wait: a handler that waits a long time on something
//    that uses no root key itself (a rotation function changing a database password) gives
//    its hold back meanwhile (JobRun::ReleaseRootHold) and takes one of the then-current key
//    generation before it uses the key again (JobRun::RetakeRootHold). A run that finds the
//    server sealed there is not completed either (as above);
//  - never completes a run whose lease was lost (renewal refused, or CompleteJob answers
//    kWriteConflict): it is logged, and the node now holding the lease decides;
//  - never undoes a reschedule made while a run was in progress (a RotateSecret landing as
//    the previous rotation ends): CompleteJob keeps that newer due time and payload.
// A handler that fails (or throws) is logged and rescheduled: periodic jobs one period
// later, one-shot jobs after failure_retry.
// A claimed job no handler here knows (another version's) is left leased: its lease
// expires, and a node that knows it runs it.
//
// Thread-safety: register handlers before EnsureJobs()/Start(); Stop() may be called from
// any thread. RunDue() is for tests that drive a scheduler by hand: do not mix it with
// Start().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/root_key.h"
#include "storage/committed_changes.h"
#include "storage/job_store.h"

namespace arcana::jobs {

// One run of a job, as its handler sees it.
struct JobRun {
  const storage::Job& job;
  int64_t now_ms = 0;  // when the run started (the scheduler's clock)
  // Set by the handler to choose the next due time itself (e.g. a rotation schedule);
  // otherwise one period after the run (periodic) or deletion (one-shot).
  std::optional<int64_t> reschedule_at_ms;
  // True once the scheduler is stopping or the lease was lost: a long handler should stop
  // at its next safe point (its work is idempotent; the next run finishes it).
  std::function<bool()> should_stop;
  // With reschedule_at_ms: the payload the job's next run gets (nullopt: kept as it is).
  // A reschedule made by others during the run (JobStore::ScheduleJob) wins over both.
  std::optional<std::string> reschedule_payload;
  // The run's root-key hold, set by the scheduler (unset: no hold to manage, e.g. a handler
  // driven by hand). Call them on the handler's thread only, through the members below.
  //  - release_root_hold: gives the hold back, so a root rotation that began meanwhile need
  //    not wait for this run. Only where the handler has nothing sealed with the root key
  //    (or a key it wraps) that is not committed yet, and is in no store transaction: once
  //    the old key's holds are gone, a root rotation rewraps what is committed and then
  //    forgets that key, so a blob sealed under it and committed later would be lost.
  //  - refresh_root_hold: gives any hold back and takes one of the current key generation;
  //    false when the server is sealed: the run holds none, should_stop() answers true from
  //    then on and the run is not completed (retried after the unseal).
  std::function<void()> release_root_hold;
  std::function<bool()> refresh_root_hold;

  void ReleaseRootHold() {
    if (release_root_hold) release_root_hold();
  }
  // True when the run holds the current generation again (or has no hold to manage).
  [[nodiscard]] bool RetakeRootHold() { return !refresh_root_hold || refresh_root_hold(); }
};

using JobHandler = std::function<Status(JobRun&)>;

struct SchedulerOptions {
  std::string owner;  // this node's lease owner id; "" = host:pid:random (unique per start)
  std::chrono::milliseconds lease{60'000};
  std::chrono::milliseconds renew_every{20'000};  // lease renewal while a run lasts
  std::chrono::milliseconds min_sleep{1'000};
  std::chrono::milliseconds max_sleep{30'000};
  std::chrono::milliseconds sealed_retry{5'000};    // a job claimed while sealing: retried
  std::chrono::milliseconds failure_retry{60'000};  // a failed one-shot job: retried
  std::chrono::milliseconds busy_retry{2'000};  // a parallel job claimed with no free slot
  size_t claim_batch = 16;
};

class Scheduler {
 public:
  // root: null = no root-key gate (tests). All references must outlive the scheduler.
  Scheduler(storage::JobStore& jobs, const crypto::RootKey* root, Clock& clock,
            SchedulerOptions options = {});
  ~Scheduler();  // Stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The job `name`, run every `period` (one row shared by every node).
  void Every(std::string name, std::chrono::milliseconds period, JobHandler handler);
  // Jobs whose names start with `prefix` (e.g. "rotation:"), created by others with
  // JobStore::ScheduleJob. period: rescheduled that long after each run; nullopt: one-shot.
  // parallel > 0: up to that many runs of these jobs at once, each on a thread of its own
  // rather than the loop's, so long runs (a rotation waiting on a database or a function)
  // never delay this node's other jobs. A claimed job finding every slot busy is not run:
  // its lease is cut to busy_retry, so this node or another claims it again soon. Runs driven
  // by RunDue() stay on the calling thread (tests).
  void OnPrefix(std::string prefix, std::optional<std::chrono::milliseconds> period,
                JobHandler handler, size_t parallel = 0);

  // Creates the periodic jobs, due one period from now, keeping existing rows.
  Status EnsureJobs();
  // EnsureJobs(), then starts the loop. Errors: the store's (nothing started).
  Status Start();
  // Wakes the loop, waits for every running handler (loop and parallel runs) to return,
  // joins. Idempotent.
  void Stop();
  // Ends the loop's current sleep: a job was just made due (e.g. RotateSecret's run), so
  // this node claims it now rather than at its next periodic pass. Any thread.
  void Wake();

  // One pass on the calling thread: claims due jobs and runs them. Returns how many were
  // claimed (run or not).
  size_t RunDue();

  const std::string& owner() const { return opts_.owner; }

  // Each run collects the store changes its writes commit (storage/committed_changes.h);
  // a handler's audit reports take theirs as they go. What is left when the handler
  // returns (a write no report claimed) is passed here, so it is recorded all the same.
  // Set before Start().
  using UnclaimedChangesFn =
      std::function<void(const std::string& job, storage::CommittedChanges changes)>;
  void OnUnclaimedChanges(UnclaimedChangesFn fn) { unclaimed_ = std::move(fn); }

 private:
  struct Registration {
    std::string name;  // exact name, or prefix
    bool is_prefix = false;
    std::optional<std::chrono::milliseconds> period;
    JobHandler handler;
    size_t parallel = 0;  // 0: on the loop thread
    size_t running = 0;   // parallel runs in progress (guarded by runs_mu_)
  };
  // A parallel run's thread; `done` is set by the thread as its last act, so the loop can
  // join it without blocking.
  struct Runner {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  Registration* Find(const std::string& job_name);
  size_t RunDueOn(bool parallel_allowed);
  // Starts a run of `job` on its own thread when `reg` has a free slot; false when all busy.
  bool StartParallel(Registration& reg, const storage::Job& job);
  void JoinFinishedRunners(bool all);
  void RunClaimed(const storage::Job& job, Registration* reg);
  // Renews the claimed job's lease for a whole term just before its run; false (logged)
  // when it is no longer ours or the store cannot tell.
  bool RetakeLease(const storage::Job& job);
  // Runs `handler` while renewing job's lease every renew_every; sets *lost when a renewal
  // is refused.
  Status RunWithLease(const Registration& reg, JobRun& run, std::atomic<bool>& lost);
  void Loop();
  bool Sealed() const;
  std::chrono::milliseconds SleepAfterPass() const;

  storage::JobStore& jobs_;
  const crypto::RootKey* root_;
  Clock& clock_;
  SchedulerOptions opts_;
  std::vector<Registration> registrations_;
  UnclaimedChangesFn unclaimed_;

  std::mutex mu_;
  std::condition_variable cv_;  // stop
  bool stop_ = false;
  bool wake_ = false;
  std::atomic<bool> stopping_{false};
  std::thread loop_;

  std::mutex runs_mu_;  // Registration::running and runners_
  std::vector<Runner> runners_;
};

// A lease owner id unique to this process start: "<host>:<pid>:<8 random hex>".
std::string NewOwnerId();

}  // namespace arcana::jobs
