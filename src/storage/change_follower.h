// This node's reader of the change sequence (change_log.h): it keeps every subscribed cache
// exactly as fresh as the store. Protocol for a cache (cached_secret_store.h is the model):
//   1. follower.Sync()                  // every committed change is now applied to the cache
//   2. look the entry up; a hit is exact // entries touched by a change were erased in Sync
//   3. on a miss: note the cache's erase epoch (bumped by every on_change/on_reset), read the
//      store, and insert only if the epoch is unchanged (else the row read may predate a
//      change already applied: serve it, do not keep it)
// Sync returns only once the changes up to the head it read are applied to every subscriber
// (one Sync applies at a time; the others wait for it and share its result).
// Sync costs one Head() call (SQLite: an in-memory counter; PostgreSQL: one single-row read)
// plus, when the head moved, one ReadChanges. Concurrent Syncs share one in-flight read.
// When the gap is too large to read (or was trimmed), subscribers are told to reset instead.
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
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
  explicit ChangeFollower(ChangeLog& log);
  ~ChangeFollower();

  // Subscribers are added at startup, before the first Sync.
  void Subscribe(Subscriber s);
  // Applies every committed change up to the current head; returns that head. An error
  // (database unreachable) leaves caches unserved: callers must not serve cached data then.
  Result<int64_t> Sync();
  // The highest seq applied to the subscribers.
  int64_t applied() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace arcana::storage
