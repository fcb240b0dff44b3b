// The one clock: wall time in milliseconds since the Unix epoch, behind an interface so that
// time-driven code (the job scheduler, expirations) can be tested by moving time by hand.
// New code takes a Clock& instead of calling std::chrono::system_clock directly.
// Thread-safety: NowMs() may be called from any thread; ManualClock's setters too.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace arcana {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// The real wall clock (std::chrono::system_clock).
class SystemClock final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  // A process-wide instance (stateless, so sharing it is free).
  static SystemClock& Instance() {
    static SystemClock clock;
    return clock;
  }
};

// Time that moves only when told to (tests).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(); }
  void Set(int64_t ms) { now_.store(ms); }
  void Advance(std::chrono::milliseconds d) { now_.fetch_add(d.count()); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace arcana
