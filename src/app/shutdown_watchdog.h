// Bounds how long arcanad may take to end once a shutdown began. The listener drains
// in-flight requests for a grace period, but what runs after it (joining I/O threads,
// stopping the sweepers, closing the store) could still wait on something stuck; the
// watchdog ends the process when its limit passes. Acknowledged writes are durable before
// they are acknowledged (SQLite synchronous=FULL commits before the response), so a forced
// exit loses at most unacknowledged work (audit records are durable before their answer);
// the logs are flushed first.
// Thread-safety: Arm() may be called from any thread, any number of times.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace arcana::app {

class ShutdownWatchdog {
 public:
  ShutdownWatchdog() = default;
  ShutdownWatchdog(const ShutdownWatchdog&) = delete;
  ShutdownWatchdog& operator=(const ShutdownWatchdog&) = delete;
  ~ShutdownWatchdog();  // disarms: the process ended its shutdown in time

  // Starts the countdown (the first call only): unless the watchdog is destroyed within
  // `limit`, the logs are flushed and the process ends with std::_Exit(1).
  void Arm(std::chrono::seconds limit);

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool done_ = false;
  std::thread thread_;
};

// Flushes every registered spdlog logger, waiting at most
// `limit`: a logger lock held by a stuck thread must not keep the process alive.
void FlushLogsBounded(std::chrono::milliseconds limit);

}  // namespace arcana::app
