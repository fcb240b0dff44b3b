// Ships this node's audit records into the store's index (storage/audit_index_store.h), so
// that LookupEvents on any node of a cluster finds every node's records.
//
// The node's record files are read from where the last shipment ended, and only records
// durable there are shipped (`durable_through`: the file sink's last sequence made durable;
// bytes past it may yet be cut off by a failed write), in order, in batches of up to
// kBatch; the position advances only once the store has a batch, so a failure (or a kill)
// ships it again and the store keeps one copy. Records older than the store's retention
// are skipped. The position starts from the store (LastAuditSequence), so a restarted node
// goes on where the store is, and a node that was never shipped (an upgrade, or the index
// trimmed) ships its whole trail once, from the background thread.
// Another node's records reach the store within its period (a second) of being durable;
// LookupEvents on this node calls CatchUp first, so its own are always there.
// Thread-safety: every method from any thread; one shipment runs at a time.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

#include "common/periodic_thread.h"
#include "common/status.h"
#include "storage/audit_index_store.h"

namespace arcana::audit {

class TrailIndexer {
 public:
  static constexpr size_t kBatch = 500;

  // dir, node: the node's record files (file_trail.h). now_ms: wall clock (null: system).
  TrailIndexer(std::string dir, std::string node, storage::AuditIndexStore& store,
               std::function<uint64_t()> durable_through,
               std::function<int64_t()> now_ms = nullptr,
               std::chrono::milliseconds period = std::chrono::seconds(1));
  ~TrailIndexer();  // Stop()
  TrailIndexer(const TrailIndexer&) = delete;
  TrailIndexer& operator=(const TrailIndexer&) = delete;

  // Ships what is durable now and not shipped yet, giving up (OK) at `until` (a shipment
  // already running counts against it). Errors: the store's; reading a file
  // (kInternalFailure).
  Status CatchUp(std::chrono::steady_clock::time_point until =
                     std::chrono::steady_clock::time_point::max());
  // The highest sequence the store is known to have (0 until the first shipment or lookup
  // of the store's position). From any thread.
  uint64_t shipped() const { return shipped_.load(std::memory_order_acquire); }
  // CatchUp every period on a thread of its own (errors logged) until Stop().
  void Start();
  void Stop();

 private:
  struct Position {
    uint32_t file = 0;     // record file number (0: before the first)
    uint64_t offset = 0;   // bytes of it shipped or skipped
    uint64_t shipped = 0;  // the highest sequence the store has
  };
  // Where the store's last sequence is in the files.
  Status Locate();
  Status ShipLocked(std::chrono::steady_clock::time_point until);
  int64_t Now() const;

  const std::string dir_;
  const std::string node_;
  storage::AuditIndexStore& store_;
  const std::function<uint64_t()> durable_through_;
  const std::function<int64_t()> now_ms_;
  std::timed_mutex mu_;
  bool located_ = false;
  Position at_;
  std::atomic<uint64_t> shipped_{0};  // at_.shipped, for other threads
  bool failing_ = false;  // the background thread's last CatchUp failed (its thread only)
  PeriodicThread thread_;  // last: stopped before the rest goes
};

}  // namespace arcana::audit
