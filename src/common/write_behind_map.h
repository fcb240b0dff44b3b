// The mechanics shared by the logs of last uses that each node keeps in memory and writes to
// the store in batches (auth/key_use_log.h, auth/service_use_log.h,
// services/kms/kms_key_use_log.h): one entry per map key (the later use winning), noted
// under a lock without a store write; Flush hands the entries to the store and, when the
// store refuses them, puts them back (a later use noted meanwhile wins) for the next flush;
// a thread flushes every `period` from Start until Stop, which flushes what is left.
// What the map holds in a flush that is under way stays readable (Read) until the store has
// it, so a reader never sees a use vanish between the map and the store.
// Thread-safety: every method may be called concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/periodic_thread.h"
#include "common/status.h"

namespace arcana {

template <typename Use>
class WriteBehindMap {
 public:
  using Map = std::unordered_map<std::string, Use>;
  // Writes a batch to the store (each use at most once per batch).
  using Write = std::function<Status(const std::vector<Use>&)>;
  // Keeps the later of `use` and what `into` holds under use's map key.
  using KeepLater = void (*)(Map& into, Use use);

  // what: the uses, as the warnings name them ("KMS key last uses").
  WriteBehindMap(Write write, KeepLater keep_later, std::chrono::milliseconds period,
                 std::string what)
      : write_(std::move(write)),
        keep_later_(keep_later),
        what_(std::move(what)),
        flusher_(period, [this] {
          if (Status st = Flush(); !st.ok()) {
            spdlog::warn("{} not recorded yet: {}", what_, st.message());
          }
        }) {}
  ~WriteBehindMap() { Stop(); }
  WriteBehindMap(const WriteBehindMap&) = delete;
  WriteBehindMap& operator=(const WriteBehindMap&) = delete;

  // f(pending) under the lock: noting a use.
  template <typename F>
  decltype(auto) Update(F&& f) {
    std::lock_guard<std::mutex> l(mu_);
    return f(pending_);
  }
  // f(in_flight, pending) under the lock: the uses the store may not have yet.
  template <typename F>
  decltype(auto) Read(F&& f) const {
    std::lock_guard<std::mutex> l(mu_);
    return f(in_flight_, pending_);
  }

  Status Flush() {
    std::lock_guard<std::mutex> one_at_a_time(flush_mu_);
    std::vector<Use> uses;
    {
      std::lock_guard<std::mutex> l(mu_);
      in_flight_.swap(pending_);
      uses.reserve(in_flight_.size());
      for (const auto& [key, use] : in_flight_) uses.push_back(use);
    }
    if (uses.empty()) return Status::Ok();
    Status st = write_(uses);
    std::lock_guard<std::mutex> l(mu_);
    if (!st.ok()) {
      for (auto& use : uses) keep_later_(pending_, std::move(use));
    }
    in_flight_.clear();
    return st;
  }

  void Start() { flusher_.Start(); }
  // Ends the thread (if started) and flushes what is pending. Idempotent.
  void Stop() {
    flusher_.Stop();
    if (Status st = Flush(); !st.ok()) {
      spdlog::warn("{} lost at shutdown: {}", what_, st.message());
    }
  }

 private:
  const Write write_;
  const KeepLater keep_later_;
  const std::string what_;
  mutable std::mutex mu_;
  Map pending_;
  // The batch a flush is writing: still readable until the store has it.
  Map in_flight_;
  std::mutex flush_mu_;  // one flush at a time: a failed batch goes back before the next
  // Declared last: stopped (joined) before the maps it flushes are destroyed.
  PeriodicThread flusher_;
};

}  // namespace arcana
