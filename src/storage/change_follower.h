// This node's reader of the change sequence (change_log.h): it keeps every subscribed cache
// exactly as fresh as the store. Protocol for a cache (cached_secret_store.h is the model):
//   1. follower.Sync()                  // every change committed before now is applied
//   2. look the entry up; a hit is exact // entries touched by a change were erased in Sync
//   3. on a miss: note the cache's erase epoch (bumped by every on_change/on_reset), read the
//      store, and insert only if the epoch is unchanged (else the row read may predate a
//      change already applied: serve it, do not keep it)
// Sync returns only once the changes up to the head it read are applied to every subscriber
// (one Sync applies at a time).
//
// Freshness check and its cost: Sync reads ChangeLog::Head() (SQLite: an in-memory counter,
// plus at most once per request a look at the WAL index for another process's commits, e.g.
// the arcana CLI's beside arcanad: ChangeLog::HeadSince, a look begun up to 1 ms before the
// request is reused; PostgreSQL: one single-row SELECT) and,
// only when the head moved, the changes since. A
// FreshnessScope (one per request, set by the pipeline) lets every cache used by that request
// share one check: a Sync whose Head() read started after the request began already covers
// every write acknowledged before the request began, so later Syncs in the request (and
// concurrent requests that began before it) reuse it instead of asking the database again.
// When the gap is too large to read, or was trimmed, subscribers are told to reset instead.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "common/status.h"
#include "storage/change_log.h"

namespace arcana::storage {

class ChangeFollower {
 public:
  struct Subscriber {
    std::function<void(const Change&)> on_change;  // erase what this change touched
    std::function<void()> on_reset;                // erase everything
  };
  // Marks the calling thread as serving one request that began now: Syncs on this thread
  // until the scope ends may reuse any Sync that began after this moment.
  class FreshnessScope {
   public:
    FreshnessScope();
    ~FreshnessScope();
    FreshnessScope(const FreshnessScope&) = delete;
    FreshnessScope& operator=(const FreshnessScope&) = delete;

   private:
    int64_t saved_;
  };

  explicit ChangeFollower(ChangeLog& log);
  ~ChangeFollower();

  // Subscribers are added at startup, before the first Sync.
  void Subscribe(Subscriber s);
  // Applies every change committed before this call (or before the thread's FreshnessScope
  // began) to the subscribers; on SQLite another process's commit is applied once it is at
  // least 1 ms older than that. Returns the seq applied. An error (the database is
  // unreachable) means freshness is unknown: callers must not serve cached data then.
  Result<int64_t> Sync();
  // The highest seq applied to the subscribers.
  int64_t applied() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace arcana::storage
