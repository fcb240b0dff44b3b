// Optimistic concurrency for the services: a write is a read-modify-commit attempt (read the
// aggregate with its revision, apply the operation's rules, commit at that revision). When
// another writer committed first, the store answers kWriteConflict and nothing of the attempt
// was applied (storage/store_types.h), so the whole attempt runs again on a fresh read. This
// replaces the per-process write mutexes: it is correct with any number of threads and nodes.
//
//   return RetryOnConflict([&]() -> Result<std::string> {
//     ARCANA_ASSIGN_OR_RETURN(Secret s, LoadWritable(ctx, id));   // fresh read, revision R
//     ... apply the rules to s ...
//     ARCANA_RETURN_IF_ERROR(store.Commit({{s, ...}}, {}));      // at R, or kWriteConflict
//     return ResponseFor(s);   // the state this attempt committed against
//   });
//
// Contract for an attempt: it must be safe to run again from the start (it owns no state
// that a failed attempt consumed: plaintexts it seals are copied, not moved in), and it
// builds its answer only from what it read and committed itself. Any error other than
// kWriteConflict ends the loop and is returned as is. Between attempts the caller sleeps a
// random ("full jitter") delay up to an exponentially growing cap, so writers that collided
// do not collide again in lock step. When the attempts run out the last conflict is returned
// (kWriteConflict, which reaches the wire as ThrottlingException: the client may retry).
// Each retry runs in a fresh ChangeFollower::FreshnessScope: the request's scope lets this
// node's caches reuse a freshness check made when the request began, which may predate the
// write that won, and a retry reading that stale copy would only conflict again.
// Thread-safety: stateless; the jitter source is per thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <thread>
#include <type_traits>
#include <utility>

#include "common/status.h"
#include "storage/change_follower.h"

namespace arcana::services {

struct RetryPolicy {
  // Attempts in all (>= 1). Every conflict means another writer committed, so n writers
  // racing on one aggregate all finish within n attempts unless more keep arriving.
  int max_attempts = 20;
  std::chrono::microseconds base_delay{250};  // cap of the first wait; doubles each attempt
  std::chrono::microseconds max_delay{20000};  // the cap never grows past this
  // Waits between attempts; tests replace it to observe the delays without sleeping.
  void (*sleep)(std::chrono::microseconds) = [](std::chrono::microseconds d) {
    std::this_thread::sleep_for(d);
  };
};

// For best-effort writes on a read path (e.g. recording LastAccessedDate): one attempt, never
// a wait. A conflict means another writer just changed the aggregate; the caller drops its
// write rather than slow the read.
inline RetryPolicy BestEffortPolicy() {
  RetryPolicy p;
  p.max_attempts = 1;
  return p;
}

namespace retry_detail {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// A uniformly random delay in [0, cap].
inline std::chrono::microseconds Jitter(std::chrono::microseconds cap) {
  thread_local std::minstd_rand gen{std::random_device{}()};
  if (cap.count() <= 0) return std::chrono::microseconds(0);
  std::uniform_int_distribution<int64_t> d(0, cap.count());
  return std::chrono::microseconds(d(gen));
}

}  // namespace retry_detail

// The delay cap before attempt `attempt` + 1 (attempt counts from 1): base * 2^(attempt-1),
// at most max_delay.
inline std::chrono::microseconds BackoffCap(const RetryPolicy& p, int attempt) {
  int64_t cap = p.base_delay.count();
  for (int i = 1; i < attempt && cap < p.max_delay.count(); ++i) cap *= 2;
  return std::chrono::microseconds(std::min<int64_t>(cap, p.max_delay.count()));
}

// Runs attempt() until it returns anything but kWriteConflict, at most p.max_attempts times.
// attempt returns Status or Result<T>; so does RetryOnConflict.
template <typename Fn>
auto RetryOnConflict(Fn&& attempt, const RetryPolicy& p = RetryPolicy{})
    -> std::invoke_result_t<Fn&> {
  using R = std::invoke_result_t<Fn&>;
  const int attempts = std::max(1, p.max_attempts);
  for (int i = 1;; ++i) {
    R r = [&]() -> R {
      if (i == 1) return attempt();
      storage::ChangeFollower::FreshnessScope fresh;  // reads see the winner's commit
      return attempt();
    }();
    if (retry_detail::StatusOf(r).code() != ErrorCode::kWriteConflict || i >= attempts) {
      return r;
    }
    p.sleep(retry_detail::Jitter(BackoffCap(p, i)));
  }
}

}  // namespace arcana::services
