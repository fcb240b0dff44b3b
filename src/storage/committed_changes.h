// Which change-log rows (change_log.h) the writes of one request committed, so the request's
// audit record can name them ("additionalEventData":{"changeSequence":[...]}) and a record
// and the change it describes cannot disagree.
//
// A request (an API call, a background job run, an operator action) installs a collector
// for its thread with a Scope; every store write that thread makes (Database::Write of
// either backend) reports, once its COMMIT returned, exactly the Change rows its own
// transaction function appended, numbered. Under group commit the function may run on
// another writer's thread and share a transaction with other writes: the store still
// reports each write's own rows, on the thread that asked for the write, never the batch's.
// A write that failed (rolled back to its savepoint, or its batch lost) reports nothing.
//
// Cost: reads report nothing; a thread without a Scope pays one thread-local load per write.
// Thread-safety: a collector belongs to the thread whose Scope installed it.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "storage/change_log.h"

namespace arcana::storage {

class CommittedChanges {
 public:
  // A request that changed more than this still succeeds; its record keeps the first kMax
  // and says it was cut (audit/audit_event.h).
  static constexpr size_t kMax = 1000;

  // Installs `sink` as this thread's collector until destroyed (the previous one is
  // restored: scopes nest, the innermost collects).
  class Scope {
   public:
    explicit Scope(CommittedChanges* sink) : previous_(current_) { current_ = sink; }
    ~Scope() { current_ = previous_; }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CommittedChanges* previous_;
  };

  // This thread's collector, or null.
  static CommittedChanges* Current() { return current_; }

  // Called by the store after the COMMIT holding these rows returned (seq and at_ms set).
  void Add(Change c) {
    if (items_.size() >= kMax) {
      truncated_ = true;
      return;
    }
    items_.push_back(std::move(c));
  }
  const std::vector<Change>& items() const { return items_; }
  bool truncated() const { return truncated_; }
  bool empty() const { return items_.empty() && !truncated_; }
  // Hands over what was collected so far and starts afresh: a job reporting several
  // actions, each right after its own write, takes each action's changes in turn.
  CommittedChanges Take() { return std::exchange(*this, CommittedChanges{}); }

 private:
  static inline thread_local CommittedChanges* current_ = nullptr;
  std::vector<Change> items_;
  bool truncated_ = false;
};

}  // namespace arcana::storage
